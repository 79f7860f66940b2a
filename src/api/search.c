/* The search endpoints (being written: the table is filled as they land). */
#include "api/api_int.h"

const hv_api__route hv_api__search_routes[] = {
    {NULL, NULL, NULL},
};
