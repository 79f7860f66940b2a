/* Shared between the files of havend only: the data directory's lock and the migrate,
 * scan and vulndb commands. */
#ifndef HV_HAVEND_INT_H
#define HV_HAVEND_INT_H

#include "base/base.h"
#include "blob/blob.h"
#include "havend/config.h"

#include <stdbool.h>

/*
 * Locks data_dir/haven.lock: shared by every havend serving the directory, exclusive for
 * `havend migrate`, so that neither starts while the other runs.  Returns the file
 * descriptor that holds the lock (closing it, or exiting, releases it), or -1 after
 * HV_FAIL: HV_E_UNAVAILABLE when the lock is held the other way, HV_E_IO.
 */
int hv_havend__lock(hv_ctx *ctx, const char *data_dir, bool exclusive);

/* The bucket the s3_* settings of cfg name (strings borrowed from cfg). */
hv_blob_s3_config hv_havend__s3_config(const hv_config *cfg);

/* `havend migrate --to URL [--blobs-to s3] [settings…]` (argv[1] is "migrate"); returns the
 * exit status. */
int hv_havend__migrate(int argc, char **argv, char **envp);

/* `havend scan IMAGE [--format inventory|spdx|cyclonedx] [--store-layers] [settings…]`
 * (argv[1] is "scan"); returns the exit status. */
int hv_havend__scan(int argc, char **argv, char **envp);
/* `havend vulndb import|status …` (argv[1] is "vulndb"); returns the exit status. */
int hv_havend__vulndb(int argc, char **argv, char **envp);

#endif
