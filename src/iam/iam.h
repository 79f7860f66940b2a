/*
 * iam — the services of identity and access management: users, projects with their
 * settings, members and robot accounts.  They hold the rules (names, passwords, metadata
 * values, roles, what a robot may be granted, who may do what) and make each change in one
 * transaction that also publishes its events; they never see HTTP.  The API handlers parse,
 * call one of these, and render.
 */
#ifndef HV_IAM_H
#define HV_IAM_H

#include "auth/auth.h"
#include "base/base.h"
#include "model/model.h"

/* ---------------------------------------------------------------- users
 * Local user accounts (users.c).  Records returned through hv_user live in ctx->arena and
 * carry the password hash: a caller never shows it.  Rule violations are HV_E_BAD_REQUEST
 * with a message naming the field; the model adds HV_E_NOT_FOUND for an unknown id and
 * HV_E_CONFLICT for a username or email that is taken. */

/* What a caller gives for a user (strings borrowed for the call).  On creation username,
 * email and password are required; on update a NULL field keeps its value and username
 * and password are ignored, so no separate "set" flags are needed. */
typedef struct hv_iam_user_input {
    const char *username;
    const char *email;
    const char *realname;
    const char *comment;
    const char *password;
} hv_iam_user_input;

/* One permission the caller holds: resource ("" for the project itself) and action, both
 * static strings of the auth catalogue. */
typedef struct hv_iam_permission {
    const char *resource;
    const char *action;
} hv_iam_permission;

/* May who do action ("read", "update") to user id?  Users may to themselves; anyone else
 * needs the system permission user/action.  HV_OK; HV_E_UNAUTHORIZED or HV_E_DENIED. */
hv_err hv_iam_user_authorize(hv_ctx *ctx, const hv_identity *who, int64_t id, const char *action);
/* May who change the sysadmin flag of user id?  Needs user/update, and never one's own
 * flag.  HV_OK; HV_E_UNAUTHORIZED or HV_E_DENIED. */
hv_err hv_iam_user_authorize_sysadmin(hv_ctx *ctx, const hv_identity *who, int64_t id);

/* A page of users; username and email (NULL or "" for none) narrow list's terms as fuzzy
 * matches.  *out (n records) lives in ctx->arena.  HV_E_BAD_REQUEST for a q key or sort
 * field users do not have. */
hv_err hv_iam_user_list(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx, const hv_list *list,
                        const char *username, const char *email);
/* The same, for the user search: username (required, not empty) is matched fuzzily. */
hv_err hv_iam_user_search(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          const hv_list *list, const char *username);
/* User id (strings in ctx->arena).  HV_E_NOT_FOUND. */
hv_err hv_iam_user_get(hv_user *out, hv_ctx *ctx, int64_t id);
/* The account of who.  HV_E_UNAUTHORIZED for an anonymous caller, HV_E_POLICY for a robot,
 * HV_E_NOT_FOUND when the user is gone. */
hv_err hv_iam_user_current(hv_user *out, hv_ctx *ctx, const hv_identity *who);
/* The permissions who holds in scope: "/system" (the system catalogue) or "/project/<id>"
 * (the project matrix), each checked with hv_auth_can so that roles, public projects,
 * robots and administrators count as everywhere else; an unknown scope or project holds
 * none.  *out (n entries) lives in ctx->arena.  Fails only when the project cannot be
 * read (a database error). */
hv_err hv_iam_user_permissions(hv_iam_permission **out, size_t *n, hv_ctx *ctx,
                               const hv_identity *who, const char *scope);

/* Creates a user (never a sysadmin) from in, checked field by field in Harbor's order:
 * password, email, realname, comment, username.  The password is stored as an argon2id
 * hash.  *out_id is the new id.  HV_E_BAD_REQUEST, HV_E_CONFLICT. */
hv_err hv_iam_user_create(int64_t *out_id, hv_ctx *ctx, const hv_iam_user_input *in);
/* Changes email, realname and comment of user id where in gives them, checked as on
 * creation.  HV_E_BAD_REQUEST, HV_E_NOT_FOUND, HV_E_CONFLICT. */
hv_err hv_iam_user_update(hv_ctx *ctx, int64_t id, const hv_iam_user_input *in);
/* Deletes user id, which is neither the first administrator (id 1) nor who: HV_E_DENIED
 * for those.  The caller checks user/delete first.  HV_E_NOT_FOUND. */
hv_err hv_iam_user_delete(hv_ctx *ctx, const hv_identity *who, int64_t id);
/* Grants or revokes the sysadmin flag (after hv_iam_user_authorize_sysadmin).
 * HV_E_NOT_FOUND. */
hv_err hv_iam_user_set_sysadmin(hv_ctx *ctx, int64_t id, bool sysadmin);
/* Sets the password of user id (after hv_iam_user_authorize "update").  A user changing
 * their own proves the old one (HV_E_BAD_REQUEST when missing, HV_E_DENIED when wrong); the
 * new one must pass the password rule and differ from the old (HV_E_BAD_REQUEST).
 * HV_E_NOT_FOUND. */
hv_err hv_iam_user_set_password(hv_ctx *ctx, const hv_identity *who, int64_t id,
                                const char *old_password, const char *new_password);
/* CLI secrets exist only under OIDC authentication, which Haven does not run: always
 * HV_E_POLICY. */
hv_err hv_iam_user_set_cli_secret(hv_ctx *ctx, int64_t id);

/* ---------------------------------------------------------------- members
 * Who holds which role (HV_ROLE_*) in a project (members.c).  Members are users today;
 * user groups are not supported yet.  The caller checks the project permission "member"
 * (create, read, update, delete, list) first.  Records live in ctx->arena. */

/* A new member: its role and the user, by user_id when > 0, else by username. */
typedef struct hv_iam_member_input {
    int64_t role;
    int64_t user_id;
    const char *username;
} hv_iam_member_input;

/* The rule of role ids: 1 (projectAdmin) to 5 (limitedGuest).  HV_OK, or HV_E_BAD_REQUEST
 * listing them.  Exported so that a parser can refuse a role before reading further; the
 * changes below check it again. */
hv_err hv_iam_member_check_role(hv_ctx *ctx, int64_t role);

/* A page of the members of project_id, narrowed to entity names containing entityname
 * (NULL or "": all).  *out (n records) lives in ctx->arena.  HV_E_BAD_REQUEST for a q key or
 * sort field members do not have. */
hv_err hv_iam_member_list(hv_member **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          int64_t project_id, const char *entityname, const hv_list *list);
/* Member id of project_id.  HV_E_NOT_FOUND. */
hv_err hv_iam_member_get(hv_member *out, hv_ctx *ctx, int64_t project_id, int64_t id);
/* Makes the user in names a member of project_id with in->role; *out_id is the new id.
 * HV_E_BAD_REQUEST for a bad role or no user named, HV_E_NOT_FOUND for an unknown user,
 * HV_E_CONFLICT when already a member. */
hv_err hv_iam_member_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                            const hv_iam_member_input *in);
/* Gives member id of project_id a new role.  HV_E_BAD_REQUEST, HV_E_NOT_FOUND. */
hv_err hv_iam_member_update(hv_ctx *ctx, int64_t project_id, int64_t id, int64_t role);
/* Removes member id from project_id.  HV_E_NOT_FOUND. */
hv_err hv_iam_member_delete(hv_ctx *ctx, int64_t project_id, int64_t id);

/* ---------------------------------------------------------------- projects */

/*
 * Projects, their settings (Harbor's metadata: string values under fixed keys, booleans
 * stored as "true"/"false", severity lower-case, proxy_speed_kb an int32) and their CVE
 * allowlist.  Creating a project makes its owner a projectAdmin member and gives it a quota;
 * creating and deleting one publish project.created and project.deleted in the transaction
 * that makes the change.  Strings given in and returned out live in ctx->arena.
 */

/* One setting as a request gave it.  value NULL: the request gave something other than a
 * string there, which is refused naming the key. */
typedef struct hv_iam_project_meta {
    const char *key;
    const char *value;
} hv_iam_project_meta;

/* A CVE allowlist as a request gave it, its shape already read. */
typedef struct hv_iam_cve_allowlist {
    int64_t project_id; /* 0: the project it is set on */
    const char *const *cve_ids;
    size_t n_cve_ids;
    bool has_expires_at; /* no: it never expires */
    int64_t expires_at;
} hv_iam_cve_allowlist;

/* The system's CVE allowlist (GET/PUT /system/CVEAllowlist) in its stored form ({"items",
 * "expires_at", "creation_time", "update_time"}; NULL when it was never set), and its
 * replacement (project_id must be 0: HV_E_BAD_REQUEST; CVE ids appear once). */
hv_err hv_iam_system_allowlist_get(const char **out, hv_ctx *ctx);
hv_err hv_iam_system_allowlist_set(hv_ctx *ctx, const hv_iam_cve_allowlist *wl);

/* A ProjectReq.  Update reads only metadata and cve_allowlist: the name, the deprecated
 * public flag, the storage limit and the registry are ignored there, as in Harbor. */
typedef struct hv_iam_project_input {
    const char *name;      /* NULL: not given */
    bool public;           /* the deprecated flag: metadata "public" wins over it */
    int64_t storage_limit; /* bytes; -1 unlimited */
    bool registry_id_set;  /* a proxy-cache project was asked for */
    int64_t registry_id;   /* not a positive integer: 0 */
    const hv_iam_project_meta *metadata;
    size_t n_metadata;
    const hv_iam_cve_allowlist *cve_allowlist; /* NULL: not given */
} hv_iam_project_input;

/* Filters of a project list; each is left out when NULL or not set. */
typedef struct hv_iam_project_filter {
    const char *name;  /* part of the name */
    const char *owner; /* the owner's username */
    bool public_set;
    bool public;
} hv_iam_project_filter;

/* What the caller is shown of one project besides its record. */
typedef struct hv_iam_project_view {
    int roles[5]; /* the caller's role ids in it */
    size_t n_roles;
    int64_t repo_count;
    const char **metadata_names; /* with_metadata only: parallel arrays */
    const char **metadata_values;
    size_t n_metadata;
} hv_iam_project_view;

/* A project's summary: the counts the caller may see. */
typedef struct hv_iam_project_summary {
    int64_t repo_count;
    bool has_member_counts;   /* the caller may list members */
    int64_t member_counts[6]; /* by role id, 1..5 */
    bool has_quota;           /* the caller may read the quota */
    hv_quota quota;
} hv_iam_project_summary;

/* The project called name (or with this id) into *out.  HV_E_NOT_FOUND when there is none. */
hv_err hv_iam_project_get(hv_project *out, hv_ctx *ctx, const char *name);
hv_err hv_iam_project_get_by_id(hv_project *out, hv_ctx *ctx, int64_t id);

/*
 * The page `list` (paging, q terms and sort as parsed from the request) of the projects
 * `who` sees, narrowed by filter: administrators see every project, anonymous callers the
 * public ones, users the public ones and those they are members of; a robot sees every
 * project when it holds permissions on all ("*"), else those it holds permissions in, else
 * the public ones.  *out (n of them; total matching) is in the arena.  HV_E_BAD_REQUEST for
 * a q key or sort the model does not know.
 */
hv_err hv_iam_project_list(hv_project **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_identity *who, const hv_list *list,
                           const hv_iam_project_filter *filter);

/* The caller's roles in p, its repository count and, when with_metadata, its settings;
 * *out's arrays are in the arena. */
hv_err hv_iam_project_describe(hv_iam_project_view *out, hv_ctx *ctx, const hv_identity *who,
                               const hv_project *p, bool with_metadata);

/*
 * May `who` create projects at all?  HV_E_UNAUTHORIZED for an anonymous caller; HV_E_DENIED
 * for a robot without the system permission project:create, and for anyone but a system
 * administrator when project_creation_restriction is "adminonly".  hv_iam_project_create
 * checks it too; a handler asks first so that a refused caller learns it before the body
 * is read, as Harbor answers.
 */
hv_err hv_iam_project_may_create(hv_ctx *ctx, const hv_identity *who);

/*
 * Creates the project `in` describes, owned by `who` (a robot's belong to the first system
 * administrator), with its settings, allowlist, the owner as projectAdmin and a quota, and
 * publishes project.created; *out_id is the new project's id.  The storage limit counts
 * when a caller who may create projects system-wide gives one (0 means unlimited).
 * HV_E_BAD_REQUEST for a missing or invalid name (Harbor's ^[a-z0-9]+(?:[._-][a-z0-9]+)*$,
 * 1 to 255 characters), a storage limit below -1, an unknown setting or an invalid value, a
 * retention_id, a duplicate CVE id, or a proxy-cache registry (not supported); HV_E_DENIED
 * as hv_iam_project_may_create, and for a proxy cache asked by one who may not create
 * projects system-wide; HV_E_CONFLICT when the name is taken.
 */
hv_err hv_iam_project_create(int64_t *out_id, hv_ctx *ctx, const hv_identity *who,
                             const hv_iam_project_input *in);

/*
 * Merges in->metadata over p's settings and replaces its CVE allowlist when one is given,
 * in one transaction.  A setting given as "" is left as it is; retention_id may only be
 * repeated unchanged (the retention API sets it).  HV_E_BAD_REQUEST for an unknown setting
 * or an invalid value, a changed retention_id, an allowlist of another project or with a
 * duplicate CVE id.
 */
hv_err hv_iam_project_update(hv_ctx *ctx, const hv_project *p, const hv_iam_project_input *in);

/* Deletes p (its members, robots and settings with it) and publishes project.deleted.
 * HV_E_POLICY while it holds repositories. */
hv_err hv_iam_project_delete(hv_ctx *ctx, const hv_project *p);

/* Whether p may be deleted now; when not, *why (static) says why, else it is "". */
hv_err hv_iam_project_deletable(bool *out, const char **why, hv_ctx *ctx, const hv_project *p);

/* p's repository count and, as far as `who` may see them (member:list, quota:read), its
 * member counts and quota. */
hv_err hv_iam_project_summarize(hv_iam_project_summary *out, hv_ctx *ctx, const hv_identity *who,
                                const hv_project *p);

/* p's settings as parallel arrays of names and values (arena). */
hv_err hv_iam_project_metadata_list(const char ***names, const char ***values, size_t *n,
                                    hv_ctx *ctx, const hv_project *p);

/* The value of p's setting key into *out (arena).  HV_E_NOT_FOUND when it is not set. */
hv_err hv_iam_project_metadata_get(const char **out, hv_ctx *ctx, const hv_project *p,
                                   const char *key);

/* Sets one setting of p: add only when it is not set yet (HV_E_CONFLICT otherwise), update
 * whether or not it is (Harbor's metadata manager upserts).  HV_E_BAD_REQUEST for an
 * unknown key or an invalid value. */
hv_err hv_iam_project_metadata_add(hv_ctx *ctx, const hv_project *p, const char *key,
                                   const char *value);
hv_err hv_iam_project_metadata_update(hv_ctx *ctx, const hv_project *p, const char *key,
                                      const char *value);

/* Removes one setting of p.  HV_E_NOT_FOUND when it is not set. */
hv_err hv_iam_project_metadata_delete(hv_ctx *ctx, const hv_project *p, const char *key);

/* ---------------------------------------------------------------- settings
 * The system settings of Harbor's /configurations (settings.c): every user-facing one of
 * Harbor's ConfigurationsResponse, with Harbor's default until changed.  Those Haven does not
 * act on yet are not editable: a change to one is refused naming it. */

typedef enum {
    HV_IAM_SETTING_STRING,
    HV_IAM_SETTING_BOOL,
    HV_IAM_SETTING_INT,
    HV_IAM_SETTING_OTHER /* a request gave something else (null, an object, a float) */
} hv_iam_setting_type;

/* One setting: its current value (listed), or a change a request asks for.  value is text:
 * "true"/"false" for booleans, decimal for integers.  editable is set in lists only. */
typedef struct hv_iam_setting {
    const char *name;
    hv_iam_setting_type type;
    const char *value;
    bool editable;
} hv_iam_setting;

/* The value of setting `name` (which must be one of the table) into *out: stored, else
 * Harbor's default (static or arena).  No permission is checked: callers show only what
 * may be shown. */
hv_err hv_iam_setting_get(const char **out, hv_ctx *ctx, const char *name);

/* Every setting in name order (secrets never; the internal ones when `internal`), *out in the
 * arena, for a caller with the system permission configuration:read (system
 * administrators).  HV_E_UNAUTHORIZED, HV_E_DENIED. */
hv_err hv_iam_settings_list(hv_iam_setting **out, size_t *n, hv_ctx *ctx, const hv_identity *who,
                            bool internal);

/* Applies changes (configuration:update), all or none, in one transaction: each must name a
 * setting, have its type, and either repeat the current value of one that is not editable or
 * give an allowed value of an editable one.  HV_E_BAD_REQUEST naming the first that does
 * not; HV_E_UNAUTHORIZED, HV_E_DENIED. */
hv_err hv_iam_settings_update(hv_ctx *ctx, const hv_identity *who, const hv_iam_setting *changes,
                              size_t n);
/* The same without a caller: havend's own start applies the settings its configuration
 * gives (audit_log_forward_endpoint, skip_audit_log_database).  HV_E_BAD_REQUEST as above. */
hv_err hv_iam_settings_apply(hv_ctx *ctx, const hv_iam_setting *changes, size_t n);

/* ---------------------------------------------------------------- robots
 * Robot accounts (robots.c), Harbor's v2 robots, and the project robots of its legacy API.  A
 * system robot (level "system") may hold permissions of kind system and of kind project on any
 * project or "*"; a project robot (level "project", stored name "<project>+<name>") exactly one
 * permission of kind project, on its own project.  Robots of a project are managed with that
 * project's "robot" permissions, system robots with the system's.  A creator who is not a sysadmin
 * may grant only what it holds itself (HV_E_DENIED naming the first permission it lacks).  Secrets
 * are shown once and stored as argon2id hashes.  Records returned through hv_robot and hv_project
 * live in ctx->arena.  Rule violations are HV_E_BAD_REQUEST with a message naming the field;
 * HV_E_NOT_FOUND for an unknown robot or project; HV_E_UNAUTHORIZED or HV_E_DENIED from the
 * permission checks. */

/* Length of a generated robot secret (the buffers below hold one more, for the NUL). */
#define HV_IAM_ROBOT_SECRET_LEN 32

/* One access a robot is to be granted, as the client sent it: resource and action are NULL
 * when the entry did not give both as strings; effect is NULL when absent. */
typedef struct hv_iam_robot_access {
    const char *resource;
    const char *action;
    const char *effect;
} hv_iam_robot_access;

/* One permission asked for: kind is NULL when the entry did not give it as a string,
 * namespace_ NULL when absent; n_access is 0 when the access list is absent or empty. */
typedef struct hv_iam_robot_grant {
    const char *kind;
    const char *namespace_;
    const hv_iam_robot_access *access;
    size_t n_access;
} hv_iam_robot_grant;

/* What a create or update asks for (strings and arrays borrowed for the call; the service
 * copies what it keeps).  NULL strings are absent.  has_duration is false when no integer
 * duration was given; set_disable says whether an update changes the disabled flag (a
 * create uses disable as it is). */
typedef struct hv_iam_robot_input {
    const char *name; /* the short name, without "robot$" */
    const char *description;
    const char *level; /* "system" or "project" */
    bool set_disable;
    bool disable;
    bool has_duration;
    int64_t duration; /* days, -1 never expires */
    const hv_iam_robot_grant *permissions;
    size_t n_permissions; /* 0 when absent or not a list */
    /* Create only: the project of the legacy API (/projects/{p}/robots), or NULL.  Then who's
     * "robot create" there is checked before anything else; the level may be left out
     * (project); a permission without a namespace is on this project and one on another is
     * refused; an access may name its resource as "/project/<this id>/<resource>"; and
     * without a duration the robot gets the robot_token_duration setting. */
    const hv_project *project;
} hv_iam_robot_input;

/* The name clients see, "robot$<stored name>" (in ctx->arena). */
const char *hv_iam_robot_full_name(hv_ctx *ctx, const hv_robot *rb);

/* The rule of robot names: lower-case letters and digits, optionally separated by single
 * '.', '_' or '-', at most 255 characters.  HV_OK, or HV_E_BAD_REQUEST saying so (also for
 * a NULL name).  Exported so that a parser can refuse a name before reading further, as
 * Harbor does; hv_iam_robot_create checks it again. */
hv_err hv_iam_robot_check_name(hv_ctx *ctx, const char *name);

/* Creates a robot for creator who, checked in Harbor's order: name, description (at most
 * 1024 characters), level, duration, then each permission (kinds, namespaces that are
 * existing projects, assignable pairs, at most 512 accesses); then who's "robot create"
 * permission on the robot's project (or the system) and that who holds every permission
 * granted.  Publishes robot.created in the transaction.  *out is the robot as stored;
 * secret receives its generated secret, which the caller shows once and then wipes (it is
 * wiped here on failure).  HV_E_BAD_REQUEST, HV_E_NOT_FOUND, HV_E_UNAUTHORIZED,
 * HV_E_DENIED, HV_E_CONFLICT for a taken name. */
hv_err hv_iam_robot_create(hv_robot *out, char secret[HV_IAM_ROBOT_SECRET_LEN + 1], hv_ctx *ctx,
                           const hv_identity *who, const hv_iam_robot_input *in);

/* Robot id, if who may do action ("read", "update", "delete") to it; *project is its
 * project for a project robot, NULL for a system robot.  HV_E_NOT_FOUND, HV_E_UNAUTHORIZED,
 * HV_E_DENIED. */
hv_err hv_iam_robot_get(hv_robot *out, hv_project **project, hv_ctx *ctx, const hv_identity *who,
                        int64_t id, const char *action);

/* A page of robots of one level: list's q may hold Level (system, the default, or project)
 * and ProjectID (required for project), exact values; other terms narrow the list, a name
 * with or without "robot$".  Needs who's "robot list" permission on the project (or the
 * system).  *out (n records) lives in ctx->arena.  HV_E_BAD_REQUEST, HV_E_NOT_FOUND for an
 * unknown project, HV_E_UNAUTHORIZED, HV_E_DENIED. */
hv_err hv_iam_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                         const hv_identity *who, const hv_list *list);

/* The legacy API's robots, those of `project` (the path's): the same as hv_iam_robot_get
 * and hv_iam_robot_list on project robots, but who's permission on the project is checked
 * first, and a robot of another project (or a system robot) is HV_E_NOT_FOUND.  The list's
 * q may narrow it (a name, ...) but not widen it beyond the project. */
hv_err hv_iam_project_robot_get(hv_robot *out, hv_ctx *ctx, const hv_identity *who,
                                const hv_project *project, int64_t id, const char *action);
hv_err hv_iam_project_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                 const hv_identity *who, const hv_project *project,
                                 const hv_list *list);

/* Updates rb and its project as hv_iam_robot_get(..., "update") returned them: checks in
 * as on creation (but the name), that it keeps the robot's name (full, stored or short)
 * and level, that a project robot's permission stays on its project, and that who holds
 * every permission granted; then replaces description (when given), the disabled flag
 * (when set_disable), duration, expiry and permissions.  rb is changed in place.
 * HV_E_BAD_REQUEST, HV_E_NOT_FOUND, HV_E_DENIED. */
hv_err hv_iam_robot_update(hv_ctx *ctx, const hv_identity *who, hv_robot *rb,
                           const hv_project *project, const hv_iam_robot_input *in);

/* The legacy API's update, which changes only whether rb (from a get with "update") is
 * disabled; rb is changed in place. */
hv_err hv_iam_robot_set_disabled(hv_ctx *ctx, hv_robot *rb, bool disabled);

/* Gives rb (from hv_iam_robot_get(..., "update")) a new secret: chosen when not NULL or
 * empty (8 to 128 characters with an upper-case letter, a lower-case letter and a digit,
 * else HV_E_BAD_REQUEST), otherwise generated into `generated`, which the caller shows once
 * and wipes.  generated is "" when the secret was chosen, and wiped on failure. */
hv_err hv_iam_robot_refresh_secret(char generated[HV_IAM_ROBOT_SECRET_LEN + 1], hv_ctx *ctx,
                                   const hv_robot *rb, const char *chosen);

/* Deletes robot id if who may ("robot delete"), publishing robot.deleted in the
 * transaction.  HV_E_NOT_FOUND, HV_E_UNAUTHORIZED, HV_E_DENIED. */
hv_err hv_iam_robot_delete(hv_ctx *ctx, const hv_identity *who, int64_t id);
/* The same for the legacy API: robot id of project (hv_iam_project_robot_get's rules). */
hv_err hv_iam_project_robot_delete(hv_ctx *ctx, const hv_identity *who, const hv_project *project,
                                   int64_t id);

/* Which catalogues of assignable permissions who may read (hv_auth_robot_catalogue): the
 * project one for sysadmins and project administrators, and the system one (*system) for
 * sysadmins only.  HV_E_DENIED for everyone else (robots included). */
hv_err hv_iam_robot_permission_kinds(bool *system, hv_ctx *ctx, const hv_identity *who);

#endif
