/*
 * Local user accounts: their rules and changes.
 *
 * Validation follows Harbor's users handler: usernames of 1-255 characters without spaces
 * or ,"~#%$: ; passwords of 8-128 characters with an upper-case and a lower-case letter and
 * a digit; a well-formed email, unique like the username (the model says HV_E_CONFLICT); a
 * realname of at most 255 characters without ,"~#%$: ; a comment of at most 30 characters.
 * Each change is one transaction.  The /users handlers call these; they never see HTTP.
 */
#include "iam/iam_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define USERNAME_ILLEGAL ",\"~#%$:"

/* ---------------------------------------------------------------- validation */

static bool has_space_or_control(const char *s) {
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return true;
    }
    return false;
}

static hv_err check_username(hv_ctx *ctx, const char *name) {
    size_t len = name ? strlen(name) : 0;

    if (len < 1 || len > 255)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "username must be 1 to 255 characters long");
    if (strpbrk(name, USERNAME_ILLEGAL) || has_space_or_control(name))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "username contains illegal characters: spaces and %s are not allowed",
                       USERNAME_ILLEGAL);
    return HV_OK;
}

static hv_err check_password(hv_ctx *ctx, const char *pw) {
    size_t len = pw ? strlen(pw) : 0;
    bool upper = false, lower = false, digit = false;

    for (size_t i = 0; i < len; i++) {
        upper |= pw[i] >= 'A' && pw[i] <= 'Z';
        lower |= pw[i] >= 'a' && pw[i] <= 'z';
        digit |= pw[i] >= '0' && pw[i] <= '9';
    }
    if (len >= 8 && len <= 128 && upper && lower && digit)
        return HV_OK;
    return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                   "the password or secret must be 8-128, inclusively, characters long with at "
                   "least 1 uppercase letter, 1 lowercase letter and 1 number");
}

static bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The local part of Harbor's email pattern: dot-separated atoms of characters other than
 * <>()[]\.,;:@" and white space, or a quoted string. */
static bool email_local_ok(const char *s, size_t len) {
    bool atom_start = true;

    if (len >= 3 && s[0] == '"' && s[len - 1] == '"')
        return true;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (atom_start)
                return false;
            atom_start = true;
            continue;
        }
        if (c <= ' ' || strchr("<>()[]\\,;:@\"", c))
            return false;
        atom_start = false;
    }
    return !atom_start;
}

/* Its domain: [a.b.c.d] with 1-3 digit parts, or labels of letters, digits and '-' ending in
 * a label of at least two letters. */
static bool email_domain_ok(const char *s, size_t len) {
    size_t label = 0, labels = 0;
    bool letters_only = true;

    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        int parts = 0, digits = 0;
        for (size_t i = 1; i < len - 1; i++) {
            if (s[i] >= '0' && s[i] <= '9') {
                if (++digits > 3)
                    return false;
            } else if (s[i] == '.' && digits > 0) {
                parts++;
                digits = 0;
            } else {
                return false;
            }
        }
        return parts == 3 && digits > 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return false;
            labels++;
            label = 0;
            letters_only = true;
        } else if (is_alnum(s[i]) || s[i] == '-') {
            label++;
            letters_only &= (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
        } else {
            return false;
        }
    }
    return labels >= 1 && label >= 2 && letters_only;
}

static hv_err check_email(hv_ctx *ctx, const char *email) {
    const char *at = email ? strrchr(email, '@') : NULL;
    size_t len = email ? strlen(email) : 0;

    if (len == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "email can't be empty");
    if (len > 255 || !at || !email_local_ok(email, (size_t)(at - email)) ||
        !email_domain_ok(at + 1, strlen(at + 1)))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "email with illegal format: %s", email);
    return HV_OK;
}

static hv_err check_realname(hv_ctx *ctx, const char *realname) {
    if (!realname)
        return HV_OK;
    if (strlen(realname) > 255)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "realname with illegal length");
    if (strpbrk(realname, USERNAME_ILLEGAL))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "realname contains illegal characters");
    return HV_OK;
}

static hv_err check_comment(hv_ctx *ctx, const char *comment) {
    if (comment && strlen(comment) > 30)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "comment with illegal length: at most 30");
    return HV_OK;
}

static bool is_self(const hv_identity *who, int64_t id) {
    return who->kind == HV_ID_USER && who->user_id == id;
}

/* ---------------------------------------------------------------- permissions */

hv_err hv_iam_user_authorize(hv_ctx *ctx, const hv_identity *who, int64_t id, const char *action) {
    if (is_self(who, id))
        return HV_OK;
    return hv_auth_can(ctx, who, NULL, "user", action);
}

hv_err hv_iam_user_authorize_sysadmin(hv_ctx *ctx, const hv_identity *who, int64_t id) {
    hv_err rc = hv_auth_can(ctx, who, NULL, "user", "update");

    if (rc)
        return rc;
    if (is_self(who, id))
        return HV_FAIL(ctx, HV_E_DENIED, "you cannot change your own sysadmin flag");
    return HV_OK;
}

struct perms {
    hv_ctx *ctx;
    const hv_identity *who;
    const hv_project *project; /* NULL: the system scope */
    hv_iam_permission *items;
    size_t n, cap;
};

/* Keeps one (resource, action) of the scope's catalogue when the caller holds it. */
static void keep_if_allowed(const char *resource, const char *action, void *payload) {
    struct perms *p = payload;

    if (hv_auth_can(p->ctx, p->who, p->project, resource, action) != HV_OK) {
        hv_error_clear(p->ctx);
        return;
    }
    p->items = hv_arena_grow(p->ctx->arena, p->items, &p->cap, p->n, sizeof(*p->items));
    p->items[p->n].resource = resource;
    p->items[p->n].action = action;
    p->n++;
}

hv_err hv_iam_user_permissions(hv_iam_permission **out, size_t *n, hv_ctx *ctx,
                               const hv_identity *who, const char *scope) {
    struct perms p = {.ctx = ctx, .who = who, .cap = 16};
    hv_project project;
    uint64_t id;

    p.items = hv_arena_alloc(ctx->arena, p.cap * sizeof(*p.items));
    if (scope && strcmp(scope, "/system") == 0) {
        hv_auth_robot_catalogue("system", keep_if_allowed, &p);
    } else if (scope && hv_str_has_prefix(scope, "/project/") &&
               hv_parse_u64(scope + 9, strlen(scope + 9), &id) && id > 0 && id <= INT64_MAX) {
        if (hv_model_project_get_by_id(&project, ctx, (int64_t)id) == HV_OK) {
            p.project = &project;
            hv_auth_project_matrix(keep_if_allowed, &p);
        } else if (ctx->err.code != HV_E_NOT_FOUND) {
            return ctx->err.code;
        }
        hv_error_clear(ctx);
    }
    *out = p.items;
    *n = p.n;
    return HV_OK;
}

/* ---------------------------------------------------------------- reads */

/* Adds a fuzzy term key=~value to a copy of list's terms (in the arena), unless value is
 * NULL or empty. */
static void add_fuzzy(hv_list *list, hv_ctx *ctx, const char *key, const char *value) {
    hv_query_term *terms;

    if (!value || !*value)
        return;
    terms = hv_arena_alloc(ctx->arena, (list->n_terms + 1) * sizeof(*terms));
    if (list->n_terms)
        memcpy(terms, list->terms, list->n_terms * sizeof(*terms));
    terms[list->n_terms].key = key;
    terms[list->n_terms].op = HV_Q_FUZZY;
    terms[list->n_terms].values = hv_arena_alloc(ctx->arena, sizeof(*terms->values));
    terms[list->n_terms].values[0] = value;
    terms[list->n_terms].n_values = 1;
    list->terms = terms;
    list->n_terms++;
}

hv_err hv_iam_user_list(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx, const hv_list *list,
                        const char *username, const char *email) {
    hv_list filtered = *list;

    add_fuzzy(&filtered, ctx, "username", username);
    add_fuzzy(&filtered, ctx, "email", email);
    return hv_model_user_list(out, n, total, ctx, &filtered);
}

hv_err hv_iam_user_search(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          const hv_list *list, const char *username) {
    hv_list filtered = *list;

    assert(username && *username);
    add_fuzzy(&filtered, ctx, "username", username);
    return hv_model_user_list(out, n, total, ctx, &filtered);
}

hv_err hv_iam_user_get(hv_user *out, hv_ctx *ctx, int64_t id) {
    return hv_model_user_get_by_id(out, ctx, id);
}

hv_err hv_iam_user_current(hv_user *out, hv_ctx *ctx, const hv_identity *who) {
    if (who->kind == HV_ID_ANONYMOUS)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "authentication required");
    if (who->kind != HV_ID_USER)
        return HV_FAIL(ctx, HV_E_POLICY, "get current user not available for %s", who->name);
    return hv_model_user_get_by_id(out, ctx, who->user_id);
}

/* ---------------------------------------------------------------- changes */

static hv_err create_in_tx(hv_ctx *ctx, void *payload) {
    hv_user *u = payload;

    return hv_model_user_create(&u->id, ctx, u);
}

hv_err hv_iam_user_create(int64_t *out_id, hv_ctx *ctx, const hv_iam_user_input *in) {
    hv_user u = {
        .username = in->username,
        .email = in->email,
        .realname = in->realname,
        .comment = in->comment,
    };
    char *hash = NULL;
    hv_err rc = check_password(ctx, in->password);

    if (rc == HV_OK)
        rc = check_email(ctx, u.email);
    if (rc == HV_OK)
        rc = check_realname(ctx, u.realname);
    if (rc == HV_OK)
        rc = check_comment(ctx, u.comment);
    if (rc == HV_OK)
        rc = check_username(ctx, u.username);
    if (rc == HV_OK)
        rc = hv_auth_password_hash(&hash, ctx, in->password);
    if (rc)
        goto out;
    u.password_hash = hash;
    rc = hv_events_transaction(ctx, create_in_tx, &u);
    if (rc == HV_OK)
        *out_id = u.id;
out:
    free(hash);
    return rc;
}

static hv_err update_in_tx(hv_ctx *ctx, void *payload) {
    return hv_model_user_update(ctx, payload);
}

hv_err hv_iam_user_update(hv_ctx *ctx, int64_t id, const hv_iam_user_input *in) {
    hv_user u;
    hv_err rc = HV_OK;

    if (in->email)
        rc = check_email(ctx, in->email);
    if (rc == HV_OK)
        rc = check_realname(ctx, in->realname);
    if (rc == HV_OK)
        rc = check_comment(ctx, in->comment);
    if (rc == HV_OK)
        rc = hv_model_user_get_by_id(&u, ctx, id);
    if (rc)
        return rc;
    if (in->email)
        u.email = in->email;
    if (in->realname)
        u.realname = in->realname;
    if (in->comment)
        u.comment = in->comment;
    return hv_events_transaction(ctx, update_in_tx, &u);
}

static hv_err delete_in_tx(hv_ctx *ctx, void *payload) {
    return hv_model_user_delete(ctx, *(int64_t *)payload);
}

hv_err hv_iam_user_delete(hv_ctx *ctx, const hv_identity *who, int64_t id) {
    /* the first administrator, and the caller's own account, stay */
    if (id == 1 || is_self(who, id))
        return HV_FAIL(ctx, HV_E_DENIED, "User with ID %lld cannot be deleted", (long long)id);
    return hv_events_transaction(ctx, delete_in_tx, &id);
}

struct sysadmin_change {
    int64_t id;
    bool flag;
};

static hv_err sysadmin_in_tx(hv_ctx *ctx, void *payload) {
    struct sysadmin_change *c = payload;

    return hv_model_user_set_sysadmin(ctx, c->id, c->flag);
}

hv_err hv_iam_user_set_sysadmin(hv_ctx *ctx, int64_t id, bool sysadmin) {
    struct sysadmin_change c = {.id = id, .flag = sysadmin};

    return hv_events_transaction(ctx, sysadmin_in_tx, &c);
}

struct password_change {
    int64_t id;
    const char *hash;
};

static hv_err password_in_tx(hv_ctx *ctx, void *payload) {
    struct password_change *c = payload;

    return hv_model_user_set_password(ctx, c->id, c->hash);
}

hv_err hv_iam_user_set_password(hv_ctx *ctx, const hv_identity *who, int64_t id,
                                const char *old_password, const char *new_password) {
    struct password_change c = {.id = id};
    char *hash = NULL;
    hv_user u;
    hv_err rc = hv_model_user_get_by_id(&u, ctx, id);

    if (rc)
        return rc;
    /* a user changing their own password proves the old one; an administrator setting
     * someone else's does not need it */
    if (is_self(who, id)) {
        if (!old_password || !*old_password)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "old_password is required");
        if (!hv_auth_password_verify(u.password_hash, old_password))
            return HV_FAIL(ctx, HV_E_DENIED, "Current password is incorrect");
    }
    rc = check_password(ctx, new_password);
    if (rc)
        return rc;
    if (hv_auth_password_verify(u.password_hash, new_password))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "New password is identical to old password");
    rc = hv_auth_password_hash(&hash, ctx, new_password);
    if (rc)
        return rc;
    c.hash = hash;
    rc = hv_events_transaction(ctx, password_in_tx, &c);
    free(hash);
    return rc;
}

hv_err hv_iam_user_set_cli_secret(hv_ctx *ctx, int64_t id) {
    (void)id; /* CLI secrets exist only under OIDC authentication, which Haven does not run */
    return HV_FAIL(ctx, HV_E_POLICY, "unable to update CLI secret under authmode: db_auth");
}
