/* The settings table of src/iam/settings.c (its rows keep their promises) and the rules of
 * a change, on the registry fixture's database. */
#include "iam/settings.c"
#include "registry/fixture.h"

static hv_identity nobody = {.kind = HV_ID_USER, .user_id = 999, .name = "nobody"};

/* Names in order without repeats (GET lists them so, as Harbor writes them out); defaults
 * of their type; an editable row says what it accepts, and its default is accepted. */
static void test_table(void) {
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_def *d = &settings[i];
        int64_t number;

        if (i > 0)
            CHECK(strcmp(settings[i - 1].name, d->name) < 0);
        if (d->type == BOOL)
            CHECK(strcmp(d->def, "true") == 0 || strcmp(d->def, "false") == 0);
        if (d->type == INT)
            CHECK(parse_int(d->def, &number));
        if ((d->flags & EDITABLE) && d->choices)
            CHECK(one_of(d->choices, d->def));
        if ((d->flags & EDITABLE) && d->type == INT)
            CHECK(parse_int(d->def, &number) && d->min < d->max && number >= d->min &&
                  number <= d->max);
        CHECK(!((d->flags & EDITABLE) && (d->flags & (WRITE_ONLY | INTERNAL))));
    }
}

static void test_helpers(void) {
    int64_t v;

    CHECK(one_of("everyone|adminonly", "adminonly"));
    CHECK(one_of("everyone|adminonly", "everyone"));
    CHECK(!one_of("everyone|adminonly", "admin"));
    CHECK(!one_of("everyone|adminonly", "everyone|adminonly"));
    CHECK(!one_of("everyone|adminonly", ""));
    CHECK(parse_int("-1", &v) && v == -1);
    CHECK(parse_int("9223372036854775807", &v) && v == INT64_MAX);
    CHECK(!parse_int("9223372036854775808", &v));
    CHECK(!parse_int("", &v) && !parse_int("-", &v) && !parse_int("1x", &v));
}

static hv_err update1(hv_ctx *ctx, const char *name, hv_iam_setting_type type, const char *value) {
    hv_iam_setting c = {.name = name, .type = type, .value = value};

    return hv_iam_settings_update(ctx, &admin, &c, 1);
}

static void test_changes(void) {
    hv_ctx ctx = new_ctx();
    hv_iam_setting two[2] = {
        {.name = "project_creation_restriction", .type = STR, .value = "adminonly"},
        {.name = "read_only", .type = BOOL, .value = "true"},
    };
    hv_iam_setting *list;
    const char *v;
    size_t n;

    CHECK_INT(update1(&ctx, "project_creation_restriction", STR, "adminonly"), HV_OK);
    CHECK_INT(hv_iam_setting_get(&v, &ctx, "project_creation_restriction"), HV_OK);
    CHECK_STR(v, "adminonly");
    CHECK_INT(update1(&ctx, "project_creation_restriction", STR, "nobody"), HV_E_BAD_REQUEST);
    CHECK_INT(update1(&ctx, "project_creation_restriction", BOOL, "true"), HV_E_BAD_REQUEST);
    /* not editable: the same value passes, another is refused naming the setting */
    CHECK_INT(update1(&ctx, "read_only", BOOL, "false"), HV_OK);
    CHECK_INT(update1(&ctx, "read_only", BOOL, "true"), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "read_only") != NULL);
    CHECK_INT(update1(&ctx, "token_expiration", INT, "30"), HV_OK);
    CHECK_INT(update1(&ctx, "token_expiration", STR, "30"), HV_E_BAD_REQUEST);
    CHECK_INT(update1(&ctx, "oidc_client_secret", STR, "s3cret"), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "s3cret") == NULL);
    CHECK_INT(update1(&ctx, "with_trivy", BOOL, "false"), HV_E_BAD_REQUEST);
    CHECK_INT(update1(&ctx, "nonsense", STR, ""), HV_E_BAD_REQUEST);
    /* all or nothing */
    CHECK_INT(update1(&ctx, "project_creation_restriction", STR, "everyone"), HV_OK);
    CHECK_INT(hv_iam_settings_update(&ctx, &admin, two, 2), HV_E_BAD_REQUEST);
    CHECK_INT(hv_iam_setting_get(&v, &ctx, "project_creation_restriction"), HV_OK);
    CHECK_STR(v, "everyone");
    /* who may */
    CHECK_INT(hv_iam_settings_update(&ctx, &nobody, two, 1), HV_E_DENIED);
    CHECK_INT(hv_iam_settings_list(&list, &n, &ctx, &nobody, false), HV_E_DENIED);
    /* lists: secrets never, internal rows on request */
    CHECK_INT(hv_iam_settings_list(&list, &n, &ctx, &admin, false), HV_OK);
    for (size_t i = 0; i < n; i++) {
        const setting_def *d = find(list[i].name);
        CHECK(d && !(d->flags & (WRITE_ONLY | INTERNAL)));
    }
    CHECK_INT(hv_iam_settings_list(&list, &n, &ctx, &admin, true), HV_OK);
    CHECK_STR(list[n - 1].name, "with_trivy");
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_table, test_helpers, test_changes, teardown)
