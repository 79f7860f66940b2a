/*
 * Shared between the files of the iam module only: the helpers every service uses.
 * Never included from outside src/iam/.
 */
#ifndef HV_IAM_INT_H
#define HV_IAM_INT_H

#include "db/db.h"
#include "events/events.h"
#include "iam/iam.h"

#endif
