/*
 * Shared between the files of the audit module only.
 */
#ifndef HV_AUDIT_INT_H
#define HV_AUDIT_INT_H

#include "audit/audit.h"

/* Queues entry for the syslog endpoint ("host:port") and returns at once: the sender thread
 * (started by the first call) sends it; when the queue is full the entry is dropped with a
 * log line. */
void hv_audit__forward(const char *endpoint, const hv_audit_log *entry);

#endif
