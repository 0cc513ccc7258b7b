/* kube: the watch reader, the resuming watch loop and wait_for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_http.h"
#include "kube/kube_priv.h"
#include "mtv/kube.h"

#define SERVER "https://api.lab.example:6443"
#define JSON_CT "Content-Type: application/json"
#define PLANS "/apis/forklift.konveyor.io/v1beta1/namespaces/ns1/plans"

/* ---------------------------------------------------------------- reader */

struct seen {
    int types[16];
    char rvs[16][16];
    size_t n;
};

static void pop_all(struct mtv_kube_watch_reader *r, struct seen *s)
{
    struct mtv_kube_event ev;
    int rc = 0;

    while ((rc = mtv_kube_watch_reader_pop(r, &ev, NULL)) == 1) {
        assert_true(s->n < 16);
        s->types[s->n] = (int)ev.type;
        snprintf(s->rvs[s->n], sizeof(s->rvs[0]), "%s",
                 ev.resource_version != NULL ? ev.resource_version : "");
        s->n++;
        mtv_kube_event_dispose(&ev);
    }
    assert_int_equal(rc, 0);
}

static void check_plan_events(const struct seen *s)
{
    static const int types[] = {MTV_KUBE_ADDED, MTV_KUBE_MODIFIED,
                                MTV_KUBE_BOOKMARK, MTV_KUBE_MODIFIED,
                                MTV_KUBE_DELETED};
    static const char *const rvs[] = {"101", "102", "150", "160", "170"};

    assert_int_equal(s->n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(s->types[i], types[i]);
        assert_string_equal(s->rvs[i], rvs[i]);
    }
}

static void test_kube_watch__reader_split_at_every_byte(void **state)
{
    char *stream = fake_http_read_data("kube/watch-plan.jsonl");
    size_t len = strlen(stream);

    (void)state;
    for (size_t cut = 0; cut <= len; cut++) {
        struct mtv_kube_watch_reader *r = NULL;
        struct seen s = {{0}, {{0}}, 0};
        assert_int_equal(mtv_kube_watch_reader_new(&r, 0, NULL), 0);
        assert_int_equal(mtv_kube_watch_reader_feed(r, stream, cut, NULL), 0);
        pop_all(r, &s);
        assert_int_equal(mtv_kube_watch_reader_feed(r, stream + cut,
                                                    len - cut, NULL),
                         0);
        pop_all(r, &s);
        check_plan_events(&s);
        mtv_kube_watch_reader_free(r);
    }
    free(stream);
}

static void test_kube_watch__reader_byte_by_byte(void **state)
{
    char *stream = fake_http_read_data("kube/watch-plan.jsonl");
    struct mtv_kube_watch_reader *r = NULL;
    struct seen s = {{0}, {{0}}, 0};

    (void)state;
    assert_int_equal(mtv_kube_watch_reader_new(&r, 0, NULL), 0);
    for (size_t i = 0; stream[i] != '\0'; i++) {
        assert_int_equal(mtv_kube_watch_reader_feed(r, stream + i, 1, NULL),
                         0);
        pop_all(r, &s);
    }
    check_plan_events(&s);
    mtv_kube_watch_reader_free(r);
    free(stream);
}

static void test_kube_watch__reader_rejects_garbage(void **state)
{
    struct mtv_kube_watch_reader *r = NULL;
    struct mtv_kube_event ev;
    struct mtv_error err;
    char big[64];

    (void)state;
    assert_int_equal(mtv_kube_watch_reader_new(&r, 32, NULL), 0);
    assert_int_equal(mtv_kube_watch_reader_feed(r, "{\"type\":\"X\"}\n", 13,
                                                NULL),
                     0);
    assert_int_equal(mtv_kube_watch_reader_pop(r, &ev, &err), MTV_EPROTO);
    assert_int_equal(mtv_kube_watch_reader_feed(r, "not json\n", 9, NULL), 0);
    assert_int_equal(mtv_kube_watch_reader_pop(r, &ev, &err), MTV_EPROTO);
    memset(big, 'a', sizeof(big));
    assert_int_equal(mtv_kube_watch_reader_feed(r, big, sizeof(big), &err),
                     MTV_EPROTO);
    mtv_kube_watch_reader_free(r);
}

/* ------------------------------------------------------------ the loop */

struct fixture {
    struct mtv_http_transport t;
    struct mtv_kube_config cfg;
    struct mtv_kube_client *c;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct mtv_kube_client_options o = MTV_KUBE_CLIENT_OPTIONS_INIT;

    f->t = fake_http_transport();
    f->cfg.server = (char *)SERVER;
    f->cfg.source = (char *)"test";
    f->cfg.token = (char *)"tok-0123456789";
    o.config = &f->cfg;
    o.transport = &f->t;
    o.backoff_base_ms = 1;
    o.backoff_cap_ms = 2;
    assert_int_equal(mtv_kube_client_new(&f->c, &o, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    fake_http_reset();
    mtv_kube_client_free(f->c);
    free(f);
    return 0;
}

struct collect {
    struct seen s;
    int stop_after; /* stop after this many events (0 = never) */
};

static int collect_fn(const struct mtv_kube_event *ev, void *payload)
{
    struct collect *c = payload;

    assert_true(c->s.n < 16);
    c->s.types[c->s.n] = (int)ev->type;
    snprintf(c->s.rvs[c->s.n], sizeof(c->s.rvs[0]), "%s",
             ev->resource_version != NULL ? ev->resource_version : "");
    c->s.n++;
    return c->stop_after != 0 && (int)c->s.n >= c->stop_after ? 1 : 0;
}

#define EV(type, rv)                                                          \
    "{\"type\":\"" type "\",\"object\":{\"kind\":\"Plan\",\"metadata\":{"    \
    "\"name\":\"p1\",\"resourceVersion\":\"" rv "\"}}}\n"

static void test_kube_watch__resumes_after_drop(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct collect col = {{{0}, {{0}}, 0}, 3};
    struct mtv_kube_watch_options o;
    char *rv = mtv_strdup("100");

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns1", NULL, NULL),
                     0);
    memset(&o, 0, sizeof(o));
    o.ref = &ref;
    o.deadline = mtv_deadline_in(60000);
    o.fn = collect_fn;
    o.payload = &col;
    fake_http_set_chunk_size(7);
    /* the first stream dies after one event and half of another */
    fake_http_will_stream_then_fail(200, JSON_CT,
                                    EV("ADDED", "101") "{\"type\":\"MOD",
                                    MTV_EIO, MTV_HTTP_FAIL_RECV);
    /* the server ends the second stream (timeoutSeconds) after a bookmark */
    fake_http_will_respond(200, JSON_CT,
                           "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":"
                           "\"Plan\",\"metadata\":{\"resourceVersion\":"
                           "\"120\"}}}\n");
    fake_http_will_respond(200, JSON_CT, EV("MODIFIED", "130"));
    assert_int_equal(mtv_kube_watch(f->c, &rv, &o, NULL), 0);
    assert_int_equal(col.s.n, 3);
    assert_int_equal(col.s.types[1], MTV_KUBE_BOOKMARK);
    assert_string_equal(rv, "130");
    assert_int_equal(fake_http_count(), 3);
    assert_non_null(strstr(fake_http_record(0)->path,
                           "resourceVersion=100"));
    assert_non_null(strstr(fake_http_record(0)->path,
                           "allowWatchBookmarks=true"));
    assert_non_null(strstr(fake_http_record(1)->path,
                           "resourceVersion=101"));
    assert_non_null(strstr(fake_http_record(2)->path,
                           "resourceVersion=120"));
    free(rv);
}

static void test_kube_watch__410_is_reported(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct collect col = {{{0}, {{0}}, 0}, 0};
    struct mtv_kube_watch_options o;
    struct mtv_error err;
    char *rv = mtv_strdup("5");

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns1", NULL, NULL),
                     0);
    memset(&o, 0, sizeof(o));
    o.ref = &ref;
    o.deadline = mtv_deadline_in(60000);
    o.fn = collect_fn;
    o.payload = &col;
    fake_http_will_respond(200, JSON_CT,
                           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status"
                           "\",\"status\":\"Failure\",\"message\":\"too old "
                           "resource version: 5 (10)\",\"reason\":\"Expired\","
                           "\"code\":410}}\n");
    assert_int_equal(mtv_kube_watch(f->c, &rv, &o, &err), MTV_EREMOTE);
    assert_int_equal(err.http_status, 410);
    /* the same through an HTTP 410 on the watch request */
    fake_http_will_respond(410, JSON_CT,
                           "{\"kind\":\"Status\",\"reason\":\"Expired\","
                           "\"code\":410}");
    assert_int_equal(mtv_kube_watch(f->c, &rv, &o, &err), MTV_EREMOTE);
    assert_int_equal(err.http_status, 410);
    assert_int_equal(col.s.n, 0);
    free(rv);
}

static void test_kube_watch__gives_up_after_repeated_failures(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_ref ref;
    struct collect col = {{{0}, {{0}}, 0}, 0};
    struct mtv_kube_watch_options o;
    struct mtv_error err;
    char *rv = NULL;

    assert_int_equal(mtv_kube_ref_for_kind(&ref, "Plan", "ns1", NULL, NULL),
                     0);
    memset(&o, 0, sizeof(o));
    o.ref = &ref;
    o.deadline = mtv_deadline_in(60000);
    o.fn = collect_fn;
    o.payload = &col;
    /* one good stream resets the count; then 9 refused connections */
    fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_CONNECT);
    fake_http_will_respond(200, JSON_CT, EV("ADDED", "7"));
    for (int i = 0; i < 9; i++) {
        fake_http_will_fail(MTV_EIO, MTV_HTTP_FAIL_CONNECT);
    }
    assert_int_equal(mtv_kube_watch(f->c, &rv, &o, &err), MTV_EIO);
    assert_int_equal(fake_http_count(), 11);
    assert_int_equal(col.s.n, 1);
    assert_string_equal(rv, "7");
    assert_non_null(strstr(fake_http_record(10)->path, "resourceVersion=7"));
    free(rv);
}

/* ------------------------------------------------------------- wait_for */

static const char LIST_EMPTY[] =
    "{\"kind\":\"PlanList\",\"metadata\":{\"resourceVersion\":\"100\"},"
    "\"items\":[]}";

static void test_kube_watch__wait_condition_via_watch(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_cond ready = {"Ready", "True"};
    struct mtv_kube_wait w;
    struct mtv_json *last = NULL;
    char *stream = fake_http_read_data("kube/watch-plan.jsonl");

    memset(&w, 0, sizeof(w));
    w.kind = "Plan";
    w.namespace = "ns1";
    w.name = "p1";
    w.predicate = mtv_kube_pred_condition;
    w.payload = &ready;
    w.deadline = mtv_deadline_in(60000);
    fake_http_expect("GET", PLANS "?fieldSelector=metadata.name%3Dp1");
    fake_http_will_respond(200, JSON_CT, LIST_EMPTY);
    fake_http_set_chunk_size(13);
    fake_http_will_respond(200, JSON_CT, stream);
    assert_int_equal(mtv_kube_wait_for(&last, f->c, &w, NULL), 0);
    assert_string_equal(mtv_json_string_or(last, "metadata.resourceVersion",
                                           ""),
                        "160");
    assert_int_equal(fake_http_count(), 2);
    assert_non_null(strstr(fake_http_record(1)->path, "watch=1"));
    assert_non_null(strstr(fake_http_record(1)->path, "resourceVersion=100"));
    assert_non_null(strstr(fake_http_record(1)->path,
                           "fieldSelector=metadata.name%3Dp1"));
    mtv_json_free(last);
    free(stream);
}

static void test_kube_watch__wait_satisfied_by_list(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_phase active = {"Active", NULL};
    struct mtv_kube_wait w;

    memset(&w, 0, sizeof(w));
    w.kind = "Namespace";
    w.name = "ns1";
    w.predicate = mtv_kube_pred_phase;
    w.payload = &active;
    w.deadline = mtv_deadline_in(60000);
    fake_http_expect("GET", "/api/v1/namespaces?fieldSelector=metadata.name"
                            "%3Dns1");
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"resourceVersion\":\"7\"},"
                           "\"items\":[{\"metadata\":{\"name\":\"ns1\"},"
                           "\"status\":{\"phase\":\"Active\"}}]}");
    assert_int_equal(mtv_kube_wait_for(NULL, f->c, &w, NULL), 0);
    assert_int_equal(fake_http_count(), 1);
}

static void test_kube_watch__wait_gone_relists_on_410(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_wait w;

    memset(&w, 0, sizeof(w));
    w.kind = "Plan";
    w.namespace = "ns1";
    w.name = "p1";
    w.predicate = mtv_kube_pred_gone;
    w.deadline = mtv_deadline_in(60000);
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"resourceVersion\":\"5\"},"
                           "\"items\":[{\"metadata\":{\"name\":\"p1\"}}]}");
    fake_http_will_respond(200, JSON_CT,
                           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status"
                           "\",\"code\":410,\"reason\":\"Expired\"}}\n");
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"resourceVersion\":\"20\"},"
                           "\"items\":[]}");
    assert_int_equal(mtv_kube_wait_for(NULL, f->c, &w, NULL), 0);
    assert_int_equal(fake_http_count(), 3);
    assert_non_null(strstr(fake_http_record(2)->path, "fieldSelector"));
    assert_null(strstr(fake_http_record(2)->path, "watch"));
}

static void test_kube_watch__wait_deleted_event(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_wait w;
    struct mtv_json *last = NULL;

    memset(&w, 0, sizeof(w));
    w.kind = "Plan";
    w.namespace = "ns1";
    w.name = "p1";
    w.predicate = mtv_kube_pred_gone;
    w.deadline = mtv_deadline_in(60000);
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"resourceVersion\":\"5\"},"
                           "\"items\":[{\"metadata\":{\"name\":\"p1\"}}]}");
    fake_http_will_respond(200, JSON_CT,
                           EV("MODIFIED", "6") EV("DELETED", "7"));
    assert_int_equal(mtv_kube_wait_for(&last, f->c, &w, NULL), 0);
    assert_null(last);
}

static void test_kube_watch__timeout_reports_last_state(void **state)
{
    struct fixture *f = *state;
    struct mtv_kube_cond ready = {"Ready", "True"};
    struct mtv_kube_wait w;
    struct mtv_error err;
    struct mtv_json *last = NULL;

    memset(&w, 0, sizeof(w));
    w.kind = "Plan";
    w.namespace = "ns1";
    w.name = "p1";
    w.predicate = mtv_kube_pred_condition;
    w.payload = &ready;
    w.deadline = mtv_deadline_in(0);
    w.what = "to be Ready";
    fake_http_will_respond(
        200, JSON_CT,
        "{\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[{\"metadata\":"
        "{\"name\":\"p1\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"False\"},{\"type\":\"VMMissingChangedBlockTracking\","
        "\"status\":\"True\",\"message\":\"Changed Block Tracking (CBT) has "
        "not been enabled on some VM.\"}]}}]}");
    fake_http_will_respond(200, JSON_CT, "");
    assert_int_equal(mtv_kube_wait_for(&last, f->c, &w, &err), MTV_ETIMEOUT);
    assert_non_null(strstr(err.msg, "timed out waiting for plans ns1 p1 to "
                                    "be Ready"));
    assert_non_null(strstr(err.remote, "last state: Ready=False"));
    assert_non_null(strstr(err.remote, "VMMissingChangedBlockTracking=True "
                                       "(Changed Block Tracking"));
    assert_non_null(last);
    mtv_json_free(last);
}

static void test_kube_watch__terminal_phase_gives_up(void **state)
{
    struct fixture *f = *state;
    static const char *const fail[] = {"Failed", NULL};
    struct mtv_kube_phase ph = {"Succeeded", fail};
    struct mtv_kube_wait w;
    struct mtv_error err;

    memset(&w, 0, sizeof(w));
    w.kind = "Pod";
    w.namespace = "ns1";
    w.name = "p1";
    w.predicate = mtv_kube_pred_phase;
    w.payload = &ph;
    w.deadline = mtv_deadline_in(60000);
    fake_http_will_respond(200, JSON_CT,
                           "{\"metadata\":{\"resourceVersion\":\"5\"},"
                           "\"items\":[]}");
    fake_http_will_respond(200, JSON_CT,
                           "{\"type\":\"ADDED\",\"object\":{\"metadata\":{"
                           "\"name\":\"p1\",\"resourceVersion\":\"6\"},"
                           "\"status\":{\"phase\":\"Failed\"}}}\n");
    assert_int_equal(mtv_kube_wait_for(NULL, f->c, &w, &err), MTV_EREMOTE);
    assert_non_null(strstr(err.remote, "phase=Failed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kube_watch__reader_split_at_every_byte),
        cmocka_unit_test(test_kube_watch__reader_byte_by_byte),
        cmocka_unit_test(test_kube_watch__reader_rejects_garbage),
        cmocka_unit_test_setup_teardown(test_kube_watch__resumes_after_drop,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_kube_watch__410_is_reported,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__gives_up_after_repeated_failures, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__wait_condition_via_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__wait_satisfied_by_list, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__wait_gone_relists_on_410, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kube_watch__wait_deleted_event,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__timeout_reports_last_state, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_kube_watch__terminal_phase_gives_up, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mtv_log_clear_secrets();
    return rc;
}
