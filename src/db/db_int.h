/* Shared between the files of the db module only. */
#ifndef HV_DB_INT_H
#define HV_DB_INT_H

struct hv_db__migration {
    const char *name;
    const char *sql;
};

/* Generated from the .sql files of src/db/migrations; ends with a {NULL, NULL} entry. */
extern const struct hv_db__migration hv_db__migrations[];

#endif
