/*
 * Doublestar globs, as Harbor's selectors use them (github.com/bmatcuk/doublestar):
 *
 *   *        any run of characters other than '/'
 *   **       any run of characters, '/' included; as a whole path component (between
 *            slashes or at an end of the pattern) it stands for zero or more components:
 *            "a/" "**" "/b" matches "a/b" and "a/x/y/b", and "a/" "**" matches "a"
 *   ?        one character other than '/'
 *   [abc] [a-z] [^a-z] [!a-z]   one character (never '/') of, or not of, a class
 *   {a,b}    one of the alternatives, which may nest and may be empty ("v{,1}")
 *   \c       the character c itself
 *
 * Characters are bytes: registry names and tags are ASCII.
 *
 * How: the pattern is first cut into tokens (checking its syntax), then matched by dynamic
 * programming over (token, offset in the name): M[t][n] says whether the tokens from t on
 * match the name from n on.  M[t][n] depends only on M[t'][n] with t' > t and on column n+1,
 * so the name is walked from its end keeping two columns.  Time is O(tokens x name), memory
 * O(tokens), whatever the pattern: stars and braces never backtrack exponentially.
 */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32 /* nesting of braces */

typedef enum {
    T_LIT, /* c; a '/' with opt_end also matches the end of the name (the slash before a final "**")
            */
    T_ANY, /* ? */
    T_CLASS,  /* [..]: pattern bytes [a, b) between the brackets, negated or not */
    T_STAR,   /* * */
    T_DSTAR,  /* ** not followed by '/' */
    T_DSLASH, /* "**" + "/" as a whole component: "" or any run that ends with '/' */
    T_OPEN,   /* {: alternatives start at t+1 and after each of its T_COMMA */
    T_COMMA,  /* , of a group: the alternative is done, continue after the group */
    T_CLOSE,  /* } */
} tok_kind;

typedef struct tok {
    tok_kind kind;
    unsigned char c;
    bool opt_end; /* T_LIT '/' */
    bool negate;  /* T_CLASS */
    size_t a, b;  /* T_CLASS: pattern range; T_OPEN: first T_COMMA/T_CLOSE; T_COMMA: the next
                     T_COMMA/T_CLOSE (a) and the token after the group (b) */
} tok;

/* Reads one (possibly escaped) byte of a class at *i. */
static bool class_char(const char *p, size_t len, size_t *i, unsigned char *out) {
    if (*i < len && p[*i] == '\\')
        (*i)++;
    if (*i >= len)
        return false;
    *out = (unsigned char)p[(*i)++];
    return true;
}

/* Finds the end of the class that opens at p[start] == '['; sets *end to the ']'. */
static bool class_scan(const char *p, size_t len, size_t start, size_t *end, const char **why) {
    size_t i = start + 1;
    size_t items = 0;

    if (i < len && (p[i] == '^' || p[i] == '!'))
        i++;
    while (i < len && p[i] != ']') {
        unsigned char lo = 0, hi = 0;
        if (!class_char(p, len, &i, &lo))
            break;
        if (i + 1 < len && p[i] == '-' && p[i + 1] != ']') {
            i++;
            if (!class_char(p, len, &i, &hi))
                break;
            if (hi < lo) {
                *why = "a character range must go from low to high, like [a-z]";
                return false;
            }
        }
        items++;
    }
    if (i >= len) {
        *why = "'[' without its closing ']'";
        return false;
    }
    if (items == 0) {
        *why = "a character class must not be empty";
        return false;
    }
    *end = i;
    return true;
}

static bool class_has(const char *p, const tok *t, unsigned char ch) {
    size_t i = t->a;
    bool in = false;

    while (i < t->b) {
        unsigned char lo = 0, hi = 0;
        class_char(p, t->b, &i, &lo);
        hi = lo;
        if (i + 1 < t->b && p[i] == '-') {
            i++;
            class_char(p, t->b, &i, &hi);
        }
        if (ch >= lo && ch <= hi)
            in = true;
    }
    return in != t->negate;
}

/* Cuts the pattern into tokens (at most len of them).  False with *why on a syntax error. */
static bool tokenize(tok *toks, size_t *n_out, const char *p, size_t len, const char **why) {
    size_t open[MAX_DEPTH], last[MAX_DEPTH]; /* per open group: its T_OPEN, its last boundary */
    int depth = 0;
    size_t n = 0;

    for (size_t i = 0; i < len;) {
        tok *t = &toks[n];
        memset(t, 0, sizeof(*t));
        switch (p[i]) {
        case '\\':
            if (i + 1 >= len) {
                *why = "the pattern ends with an escaping '\\'";
                return false;
            }
            t->kind = T_LIT;
            t->c = (unsigned char)p[i + 1];
            i += 2;
            break;
        case '?':
            t->kind = T_ANY;
            i++;
            break;
        case '[': {
            size_t end;
            if (!class_scan(p, len, i, &end, why))
                return false;
            t->kind = T_CLASS;
            t->a = i + 1;
            if (t->a < end && (p[t->a] == '^' || p[t->a] == '!')) {
                t->negate = true;
                t->a++;
            }
            t->b = end;
            i = end + 1;
            break;
        }
        case '*': {
            size_t run = 0;
            while (i + run < len && p[i + run] == '*')
                run++;
            if (run == 1) {
                t->kind = T_STAR;
            } else {
                bool starts = i == 0 || p[i - 1] == '/';
                bool slash = i + run < len && p[i + run] == '/';
                t->kind = T_DSTAR;
                if (starts && slash) {
                    t->kind = T_DSLASH;
                    run++; /* the '/' belongs to the component */
                } else if (starts && i + run == len && n > 0 && toks[n - 1].kind == T_LIT &&
                           toks[n - 1].c == '/') {
                    toks[n - 1].opt_end = true;
                }
            }
            i += run;
            break;
        }
        case '{':
            if (depth == MAX_DEPTH) {
                *why = "braces are nested too deeply";
                return false;
            }
            t->kind = T_OPEN;
            open[depth] = n;
            last[depth] = n;
            depth++;
            i++;
            break;
        case ',':
        case '}':
            if (depth == 0) { /* outside a group: the character itself */
                t->kind = T_LIT;
                t->c = (unsigned char)p[i++];
                break;
            }
            t->kind = p[i] == ',' ? T_COMMA : T_CLOSE;
            /* link the previous boundary of the group (or its T_OPEN) to this one */
            toks[last[depth - 1]].a = n;
            last[depth - 1] = n;
            if (t->kind == T_CLOSE) {
                depth--;
                /* every comma of the group continues after it */
                for (size_t k = toks[open[depth]].a; k != n; k = toks[k].a)
                    toks[k].b = n + 1;
            }
            i++;
            break;
        default:
            t->kind = T_LIT;
            t->c = (unsigned char)p[i++];
            break;
        }
        n++;
    }
    if (depth > 0) {
        *why = "'{' without its closing '}'";
        return false;
    }
    *n_out = n;
    return true;
}

bool hv_glob_valid(const char *pattern, size_t len, const char **why) {
    const char *dummy;
    tok *toks;
    size_t n;
    bool ok;

    if (!why)
        why = &dummy;
    if (len > HV_GLOB_PATTERN_MAX) {
        *why = "the pattern is too long";
        return false;
    }
    toks = hv_malloc((len + 1) * sizeof(*toks));
    ok = tokenize(toks, &n, pattern, len, why);
    free(toks);
    return ok;
}

bool hv_glob_match(const char *pattern, size_t plen, const char *name, size_t nlen) {
    const char *why;
    tok *toks;
    size_t n;
    bool *mem, *cur, *nxt, *aux_cur, *aux_nxt, result = false;

    if (plen > HV_GLOB_PATTERN_MAX || nlen > HV_GLOB_NAME_MAX)
        return false;
    toks = hv_malloc((plen + 1) * sizeof(*toks));
    if (!tokenize(toks, &n, pattern, plen, &why)) {
        free(toks);
        return false;
    }
    /* columns n+1 (nxt) and n (cur) of M, and of A for T_DSLASH: A[t][n] says "a run of
     * the name from n that ends with '/' is followed by a match of t+1" */
    mem = hv_calloc(4 * (n + 1), sizeof(bool));
    cur = mem;
    nxt = cur + (n + 1);
    aux_cur = nxt + (n + 1);
    aux_nxt = aux_cur + (n + 1);

    for (size_t k = nlen + 1; k-- > 0;) {
        bool at_end = k == nlen;
        unsigned char ch = at_end ? 0 : (unsigned char)name[k];

        cur[n] = at_end;
        for (size_t t = n; t-- > 0;) {
            const tok *tk = &toks[t];
            bool m = false;

            switch (tk->kind) {
            case T_LIT:
                m = (!at_end && ch == tk->c && nxt[t + 1]) || (at_end && tk->opt_end);
                break;
            case T_ANY:
                m = !at_end && ch != '/' && nxt[t + 1];
                break;
            case T_CLASS:
                m = !at_end && ch != '/' && class_has(pattern, tk, ch) && nxt[t + 1];
                break;
            case T_STAR:
                m = cur[t + 1] || (!at_end && ch != '/' && nxt[t]);
                break;
            case T_DSTAR:
                m = cur[t + 1] || (!at_end && nxt[t]);
                break;
            case T_DSLASH:
                aux_cur[t] = !at_end && ((ch == '/' && nxt[t + 1]) || aux_nxt[t]);
                m = cur[t + 1] || aux_cur[t];
                break;
            case T_OPEN:
                /* alternatives start after the '{' and after each ',' of the group */
                m = cur[t + 1];
                for (size_t b = tk->a; !m && toks[b].kind == T_COMMA; b = toks[b].a)
                    m = cur[b + 1];
                break;
            case T_COMMA:
                m = cur[tk->b];
                break;
            case T_CLOSE:
                m = cur[t + 1];
                break;
            }
            cur[t] = m;
        }
        if (k == 0)
            result = cur[0];
        /* column k becomes column k+1 of the next step */
        bool *swap = nxt;
        nxt = cur;
        cur = swap;
        swap = aux_nxt;
        aux_nxt = aux_cur;
        aux_cur = swap;
    }
    free(mem);
    free(toks);
    return result;
}

bool hv_glob_matchz(const char *pattern, const char *name) {
    return hv_glob_match(pattern, strlen(pattern), name, strlen(name));
}
