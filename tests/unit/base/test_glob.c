/*
 * base: doublestar globs — each operator, their combinations, the whole-component forms of
 * `**`, syntax errors, limits, and that hostile patterns stay fast.
 */
#include "base/base.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define YES(p, s) CHECK(hv_glob_matchz((p), (s)))
#define NO(p, s)  CHECK(!hv_glob_matchz((p), (s)))

static void test_literals(void) {
    YES("", "");
    NO("", "a");
    YES("abc", "abc");
    NO("abc", "abd");
    NO("abc", "ab");
    NO("ab", "abc");
    YES("a/b", "a/b");
    NO("A", "a"); /* case matters */
    YES("\\*", "*");
    NO("\\*", "x");
    YES("a\\{b", "a{b");
    YES("a,b}", "a,b}"); /* outside a group, ',' and '}' are themselves */
}

static void test_star_and_question(void) {
    YES("*", "");
    YES("*", "latest");
    NO("*", "a/b");
    YES("v*", "v1.2.3");
    NO("v*", "1.2.3");
    YES("*-rc", "1.0-rc");
    YES("*.*", "1.0");
    NO("*.*", "10");
    YES("a*b*c", "axxbyyc");
    NO("a*b*c", "axxbyy");
    YES("?", "a");
    NO("?", "");
    NO("?", "/");
    NO("?", "ab");
    YES("v?.?", "v1.2");
    YES("*/*", "a/b");
    NO("*/*", "a/b/c");
}

static void test_doublestar(void) {
    YES("**", "");
    YES("**", "a");
    YES("**", "a/b/c");
    YES("a/**", "a/b");
    YES("a/**", "a/b/c");
    YES("a/**", "a"); /* zero components */
    YES("a/**", "a/");
    NO("a/**", "ab");
    YES("**/b", "b");
    YES("**/b", "a/b");
    YES("**/b", "x/y/b");
    NO("**/b", "ab");
    YES("a/**/b", "a/b");
    YES("a/**/b", "a/x/b");
    YES("a/**/b", "a/x/y/b");
    NO("a/**/b", "a/xb");
    NO("a/**/b", "ab");
    YES("**/**", "a/b");
    YES("a**", "ab/c"); /* not a whole component: any run, '/' included */
    YES("***", "a/b");
    YES("proj/**/app-*", "proj/x/y/app-1");
    NO("proj/**/app-*", "proj/x/y/app-1/z");
}

static void test_classes(void) {
    YES("[abc]", "b");
    NO("[abc]", "d");
    YES("[a-z]", "m");
    NO("[a-z]", "M");
    YES("[^a-z]", "M");
    YES("[!a-z]", "1");
    NO("[!a-z]", "q");
    YES("v[0-9].[0-9]", "v1.2");
    YES("[a-]", "-");
    YES("[\\]]", "]");
    NO("[/]", "/"); /* a class never matches '/' */
    NO("[^a]", "/");
    YES("[a-cx-z]*", "yes");
}

static void test_braces(void) {
    YES("{a,b}", "a");
    YES("{a,b}", "b");
    NO("{a,b}", "c");
    NO("{a,b}", "ab");
    YES("v{1,2}.*", "v2.0");
    NO("v{1,2}.*", "v3.0");
    YES("{dev,prod}-*", "prod-7");
    YES("v{,1}", "v");
    YES("v{,1}", "v1");
    YES("{a,b{c,d}}x", "bdx");
    YES("{a,b{c,d}}x", "ax");
    NO("{a,b{c,d}}x", "bx");
    YES("{**/lib,app}", "x/y/lib");
    YES("{a*,*b}", "zzb");
    YES("{}", "");
    YES("x{a,b}y{c,d}z", "xbycz");
}

static void test_syntax(void) {
    const char *why = NULL;

    CHECK(hv_glob_valid("v*.{a,b}", 8, &why));
    CHECK(!hv_glob_valid("[abc", 4, &why));
    CHECK(why && strstr(why, "]"));
    CHECK(!hv_glob_valid("[]", 2, &why));
    CHECK(!hv_glob_valid("[z-a]", 5, &why));
    CHECK(!hv_glob_valid("{a,b", 4, &why));
    CHECK(why && strstr(why, "}"));
    CHECK(!hv_glob_valid("abc\\", 4, &why));
    CHECK(hv_glob_valid("a}", 2, NULL));
    /* a malformed pattern matches nothing */
    NO("[abc", "[abc");
    NO("{a", "{a");
    NO("{a", "a");
}

static void test_limits(void) {
    char *big = malloc(HV_GLOB_NAME_MAX + 2);
    char deep[80];

    memset(big, 'a', HV_GLOB_NAME_MAX + 1);
    big[HV_GLOB_NAME_MAX + 1] = '\0';
    NO("**", big);
    big[HV_GLOB_NAME_MAX] = '\0';
    YES("**", big);
    YES("a*", big);
    free(big);
    memset(deep, '{', 40);
    memset(deep + 40, '}', 39);
    deep[79] = '\0';
    CHECK(!hv_glob_valid(deep, strlen(deep), NULL)); /* too deep (and unbalanced) */
    /* bytes beyond the given length are not read */
    CHECK(hv_glob_match("ab*", 2, "abc", 2));
    CHECK(!hv_glob_match("ab*", 2, "abc", 3));
}

/* Patterns that make backtracking matchers take exponential time answer at once here. */
static void test_hostile_patterns_are_fast(void) {
    char pattern[1025], name[4097];
    clock_t start = clock();

    for (int i = 0; i < 512; i++) {
        pattern[2 * i] = 'a';
        pattern[2 * i + 1] = '*';
    }
    pattern[1023] = 'b';
    pattern[1024] = '\0';
    memset(name, 'a', 4096);
    name[4096] = '\0';
    NO(pattern, name);
    for (int i = 0; i < 256; i++)
        memcpy(pattern + 4 * i, "{a,a", 4);
    pattern[1024] = '\0';
    CHECK(!hv_glob_valid(pattern, 1024, NULL)); /* unclosed, and too deep */
    for (int i = 0; i < 128; i++)
        memcpy(pattern + 8 * i, "{a,a}**/", 8);
    pattern[1024] = '\0';
    NO(pattern, name);
    CHECK((double)(clock() - start) / CLOCKS_PER_SEC < 5.0);
}

TEST_MAIN(test_literals, test_star_and_question, test_doublestar, test_classes, test_braces,
          test_syntax, test_limits, test_hostile_patterns_are_fast)
