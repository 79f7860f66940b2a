/*
 * Shared between the files of the jobs module only: the registered kinds and this node's
 * pool.
 */
#ifndef HV_JOBS_INT_H
#define HV_JOBS_INT_H

#include "jobs/jobs.h"

/* The registered kind of that name, or NULL. */
const hv_job_kind *hv_jobs__kind(const char *name);
/* The registered kinds; *n of them. */
const hv_job_kind *const *hv_jobs__kinds(size_t *n);
/* The lease of this node's pool in ms (the default before hv_jobs_start). */
int64_t hv_jobs__lease_ms(void);

#endif
