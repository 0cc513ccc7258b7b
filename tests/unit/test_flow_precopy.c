/* flow: the precopy-interval lease on the ForkliftController (pure part). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/precopy.h"
#include "mtv/json.h"
#include "mtv/util.h"

#define HOLDERS "metadata.annotations.mtvtest\\.io/precopy-holders"
#define ORIGINAL "metadata.annotations.mtvtest\\.io/precopy-original"
#define IV "spec.controller_precopy_interval"

#define NOW "2026-11-25T21:00:00Z"
#define LATER "2026-11-25T23:00:00Z"
#define EARLIER "2026-11-25T20:00:00Z"

enum op { ACQUIRE, RELEASE };

struct lease_case {
    const char *name;
    enum op op;
    /* the controller before: spec interval as JSON (NULL: absent), the
     * holders annotation text and the original annotation (NULL: absent) */
    const char *interval;
    const char *holders;
    const char *original;
    const char *session;
    long minutes;
    /* expected */
    enum flow_precopy_outcome outcome;
    const char *want_interval; /* JSON, NULL: absent */
    const char *want_sessions; /* "a,b" of the holders; NULL: no annot. */
    const char *want_original; /* NULL: no annotation */
    const char *want_why;      /* substring of why/kept_by, or NULL */
};

#define H(s, m, e)                                                             \
    "{\"session\":\"" s "\",\"minutes\":" #m ",\"expires\":\"" e "\"}"

static const struct lease_case cases[] = {
    {"first holder takes: saves the original, sets the interval", ACQUIRE, "60",
     NULL, NULL, "auto-a", 1, FLOW_PRECOPY_TAKEN, "1", "auto-a", "60", NULL},
    {"first holder, interval unset: original null", ACQUIRE, NULL, NULL, NULL,
     "auto-a", 2, FLOW_PRECOPY_TAKEN, "2", "auto-a", "null", NULL},
    {"first holder, string value saved as read, set as an integer", ACQUIRE,
     "\"1\"", NULL, NULL, "auto-a", 1, FLOW_PRECOPY_TAKEN, "1", "auto-a",
     "\"1\"", NULL},
    {"same interval joins, original kept", ACQUIRE, "1",
     "[" H("auto-a", 1, LATER) "]", "60", "auto-b", 1, FLOW_PRECOPY_JOINED, "1",
     "auto-a,auto-b", "60", NULL},
    {"other interval while a live holder exists: busy, unchanged", ACQUIRE, "1",
     "[" H("auto-a", 1, LATER) "]", "60", "auto-b", 2, FLOW_PRECOPY_BUSY, "1",
     "auto-a", "60", "session auto-a (1 minute(s), until " LATER ")"},
    {"expired holder is ignored and pruned; its original stays", ACQUIRE, "1",
     "[" H("auto-a", 1, EARLIER) "]", "60", "auto-b", 2, FLOW_PRECOPY_TAKEN,
     "2", "auto-b", "60", NULL},
    {"garbage holders annotation counts as expired", ACQUIRE, "5", "not json",
     NULL, "auto-b", 2, FLOW_PRECOPY_TAKEN, "2", "auto-b", "5", NULL},
    {"re-acquire by the same session replaces its entry", ACQUIRE, "1",
     "[" H("auto-a", 1, LATER) "]", "60", "auto-a", 3, FLOW_PRECOPY_TAKEN, "3",
     "auto-a", "60", NULL},
    {"last holder leaves: original restored, annotations removed", RELEASE, "1",
     "[" H("auto-a", 1, LATER) "]", "60", "auto-a", 0, FLOW_PRECOPY_RESTORED,
     "60", NULL, NULL, NULL},
    {"last holder leaves, original null: field removed", RELEASE, "1",
     "[" H("auto-a", 1, LATER) "]", "null", "auto-a", 0, FLOW_PRECOPY_RESTORED,
     NULL, NULL, NULL, NULL},
    {"not last: keeps the interval, removes itself", RELEASE, "1",
     "[" H("auto-a", 1, LATER) "," H("auto-b", 1, LATER) "]", "60", "auto-a", 0,
     FLOW_PRECOPY_KEPT, "1", "auto-b", "60", "session auto-b"},
    {"crashed session cleaned while another holds: lease left alone", RELEASE,
     "2", "[" H("auto-b", 2, LATER) "]", "60", "auto-a", 0, FLOW_PRECOPY_KEPT,
     "2", "auto-b", "60", "session auto-b"},
    {"leaving with only expired others: restores", RELEASE, "1",
     "[" H("auto-a", 1, LATER) "," H("auto-x", 1, EARLIER) "]", "60", "auto-a",
     0, FLOW_PRECOPY_RESTORED, "60", NULL, NULL, NULL},
    {"no lease on the object: nothing to do", RELEASE, "7", NULL, NULL,
     "auto-a", 0, FLOW_PRECOPY_NOLEASE, "7", NULL, NULL, NULL},
};

static struct mtv_json *controller(const struct lease_case *c)
{
    struct mtv_json *fc = mtv_json_new_object();
    struct mtv_json *v = NULL;

    assert_non_null(fc);
    assert_int_equal(mtv_json_set_string(fc, "metadata.name", "fc"), 0);
    assert_int_equal(mtv_json_set_string(fc, "metadata.resourceVersion", "7"),
                     0);
    assert_int_equal(mtv_json_set_number(fc, "spec.other", 3), 0);
    if (c->interval != NULL) {
        assert_int_equal(
            mtv_json_parse(&v, c->interval, strlen(c->interval), NULL, NULL),
            0);
        assert_int_equal(mtv_json_set_take(fc, IV, v), 0);
    }
    if (c->holders != NULL) {
        assert_int_equal(mtv_json_set_string(fc, HOLDERS, c->holders), 0);
    }
    if (c->original != NULL) {
        assert_int_equal(mtv_json_set_string(fc, ORIGINAL, c->original), 0);
    }
    return fc;
}

/* "a,b": the sessions of the holders annotation, in order. */
static void holder_sessions(const struct mtv_json *fc, char *out, size_t size)
{
    const char *text = mtv_json_string_or(fc, HOLDERS, NULL);
    struct mtv_json *list = NULL;

    out[0] = '\0';
    assert_non_null(text);
    assert_int_equal(mtv_json_parse(&list, text, strlen(text), NULL, NULL), 0);
    for (const struct mtv_json *h = mtv_json_first(list); h != NULL;
         h = mtv_json_next(h)) {
        int64_t t = 0;
        assert_int_equal(mtv_json_type(mtv_json_get(h, "minutes")),
                         MTV_JSON_NUMBER);
        assert_int_equal(
            mtv_time_parse_rfc3339(mtv_json_string_or(h, "expires", ""), &t),
            0);
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", n ? "," : "",
                 mtv_json_string_or(h, "session", "?"));
    }
    mtv_json_free(list);
}

static void run_case(const struct lease_case *c)
{
    struct mtv_json *fc = controller(c), *before = mtv_json_dup(fc);
    struct mtv_buf why = MTV_BUF_INIT;
    struct mtv_error err;
    enum flow_precopy_outcome out = FLOW_PRECOPY_NOLEASE;
    int64_t now = 0, later = 0, next = 0;
    char sessions[128];
    int rc;

    print_message("case: %s\n", c->name);
    mtv_error_clear(&err);
    assert_int_equal(mtv_time_parse_rfc3339(NOW, &now), 0);
    assert_int_equal(mtv_time_parse_rfc3339(LATER, &later), 0);
    if (c->op == ACQUIRE) {
        struct flow_precopy_req r = {c->session, c->minutes, now,
                                     later + 3600000};
        rc = flow_precopy_acquire(fc, &r, &out, &why, &next, &err);
    } else {
        rc = flow_precopy_release(fc, c->session, now, &out, &why, &err);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(flow_precopy_outcome_name(out),
                        flow_precopy_outcome_name(c->outcome));
    if (c->outcome == FLOW_PRECOPY_BUSY || c->outcome == FLOW_PRECOPY_NOLEASE) {
        /* nothing may change: no write */
        assert_true(mtv_json_equal(before, fc));
    }
    if (c->outcome == FLOW_PRECOPY_BUSY) {
        assert_true(next == later);
    }
    if (c->want_interval == NULL) {
        assert_null(mtv_json_get(fc, IV));
    } else {
        struct mtv_json *want = NULL;
        assert_int_equal(mtv_json_parse(&want, c->want_interval,
                                        strlen(c->want_interval), NULL, NULL),
                         0);
        assert_true(mtv_json_equal(want, mtv_json_get(fc, IV)));
        mtv_json_free(want);
    }
    if (c->want_sessions == NULL) {
        assert_null(mtv_json_get(fc, HOLDERS));
    } else {
        holder_sessions(fc, sessions, sizeof(sessions));
        assert_string_equal(sessions, c->want_sessions);
    }
    if (c->want_original == NULL) {
        assert_null(mtv_json_get(fc, ORIGINAL));
    } else {
        assert_string_equal(mtv_json_string_or(fc, ORIGINAL, "<absent>"),
                            c->want_original);
    }
    if (c->want_why != NULL) {
        assert_non_null(why.data);
        assert_non_null(strstr(why.data, c->want_why));
    }
    /* the rest of the object is untouched */
    assert_int_equal(mtv_json_int_or(fc, "spec.other", 0), 3);
    assert_string_equal(mtv_json_string_or(fc, "metadata.resourceVersion", ""),
                        "7");
    mtv_buf_dispose(&why);
    mtv_json_free(before);
    mtv_json_free(fc);
}

static void test_flow_precopy__lease_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i]);
    }
}

/* The bug of the brief, replayed: A (1) and B (2) overlap. B must not
 * take over; after A leaves, B takes and restores the true original. */
static void test_flow_precopy__overlap_story(void **state)
{
    struct mtv_json *fc = mtv_json_new_object();
    struct mtv_error err;
    enum flow_precopy_outcome out;
    int64_t now = 0;
    struct flow_precopy_req a = {"auto-a", 1, 0, 0}, b = {"auto-b", 2, 0, 0};

    (void)state;
    mtv_error_clear(&err);
    assert_int_equal(mtv_time_parse_rfc3339(NOW, &now), 0);
    a.now_ms = b.now_ms = now;
    a.expires_ms = b.expires_ms = now + 3600000;
    assert_int_equal(mtv_json_set_number(fc, IV, 60), 0);
    assert_int_equal(flow_precopy_acquire(fc, &a, &out, NULL, NULL, &err), 0);
    assert_int_equal(out, FLOW_PRECOPY_TAKEN);
    assert_int_equal(flow_precopy_acquire(fc, &b, &out, NULL, NULL, &err), 0);
    assert_int_equal(out, FLOW_PRECOPY_BUSY);
    assert_int_equal(mtv_json_int_or(fc, IV, 0), 1);
    assert_int_equal(flow_precopy_release(fc, "auto-a", now, &out, NULL, &err),
                     0);
    assert_int_equal(out, FLOW_PRECOPY_RESTORED);
    assert_int_equal(mtv_json_int_or(fc, IV, 0), 60);
    assert_int_equal(flow_precopy_acquire(fc, &b, &out, NULL, NULL, &err), 0);
    assert_int_equal(out, FLOW_PRECOPY_TAKEN);
    assert_int_equal(mtv_json_int_or(fc, IV, 0), 2);
    assert_int_equal(flow_precopy_release(fc, "auto-b", now, &out, NULL, &err),
                     0);
    assert_int_equal(out, FLOW_PRECOPY_RESTORED);
    assert_int_equal(mtv_json_int_or(fc, IV, 0), 60);
    assert_null(mtv_json_get(fc, "metadata.annotations.mtvtest\\.io/"
                                 "precopy-holders"));
    /* releasing again: no lease, nothing to do */
    assert_int_equal(flow_precopy_release(fc, "auto-b", now, &out, NULL, &err),
                     0);
    assert_int_equal(out, FLOW_PRECOPY_NOLEASE);
    mtv_json_free(fc);
}

static void test_flow_precopy__restore_patch_marks_the_lease(void **state)
{
    struct mtv_json *prev = mtv_json_new_number(60), *patch = NULL,
                    *legacy = mtv_json_new_object();
    struct mtv_error err;

    (void)state;
    mtv_error_clear(&err);
    assert_int_equal(flow_precopy_build_restore(&patch, "fc", prev, &err), 0);
    assert_true(flow_precopy_is_lease_restore(patch));
    assert_int_equal(mtv_json_int_or(patch, IV, 0), 60);
    assert_int_equal(mtv_json_type(mtv_json_get(patch, ORIGINAL)),
                     MTV_JSON_NULL);
    assert_int_equal(mtv_json_set_number(legacy, IV, 60), 0);
    assert_false(flow_precopy_is_lease_restore(legacy));
    assert_false(flow_precopy_is_lease_restore(NULL));
    mtv_json_free(prev);
    mtv_json_free(patch);
    mtv_json_free(legacy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_precopy__lease_table),
        cmocka_unit_test(test_flow_precopy__overlap_story),
        cmocka_unit_test(test_flow_precopy__restore_patch_marks_the_lease),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
