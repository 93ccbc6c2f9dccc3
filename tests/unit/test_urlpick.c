// SPDX-License-Identifier: Apache-2.0
/*
 * The URL picker (etcd's urlpick_test.go: pick twice, update, unreachable)
 * and the URL rules behind it: the list is copied and sorted, a failure of
 * the URL in use moves on and wraps, a failure of any other URL does not,
 * an invalid list changes nothing, and allocation failures leak nothing.
 * Also rh_url_parse, which accepts what etcd's types.NewURLs accepts for
 * peer URLs (http or https, host:port, no path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "peer/peer.h"
#include "testlib.h"

/* Asserts that p holds exactly want[0..n) (sorted) and uses want[picked]. */
static void check_list(const struct rh_urlpick *p, const char *const *want,
                       size_t n, size_t picked)
{
    assert_int_equal(p->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(p->urls[i], want[i]);
    }
    assert_int_equal(p->picked, picked);
    assert_string_equal(rh_urlpick_pick(p), want[picked]);
}

/* TestURLPickerPickTwice: one of the configured URLs, the same each time. */
static void test_pick_twice(void **state)
{
    (void)state;
    const char *urls[] = {"http://127.0.0.1:7001", "http://127.0.0.1:2380"};
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, urls, 2), 0);
    const char *u = rh_urlpick_pick(&p);
    assert_non_null(u);
    assert_true(strcmp(u, urls[0]) == 0 || strcmp(u, urls[1]) == 0);
    /* Sorted, so the first in use is the smallest. */
    assert_string_equal(u, "http://127.0.0.1:2380");
    const char *uu = rh_urlpick_pick(&p);
    assert_ptr_equal(uu, u);
    assert_string_equal(uu, "http://127.0.0.1:2380");
    rh_urlpick_close(&p, NULL);
    assert_int_equal(p.n, 0);
    assert_null(p.urls);
    assert_null(rh_urlpick_pick(&p));
}

/* The list is sorted lexicographically and held in copies. */
static void test_sorted_copies(void **state)
{
    (void)state;
    char a[] = "https://z.example.com:2380";
    char b[] = "http://b:2380";
    char c[] = "http://[::1]:2380";
    char d[] = "http://a:12380";
    const char *urls[] = {a, b, c, d};
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, urls, 4), 0);
    /* The caller's strings change after the call. */
    memset(a, 'x', sizeof(a) - 1);
    memset(b, 'x', sizeof(b) - 1);
    memset(c, 'x', sizeof(c) - 1);
    memset(d, 'x', sizeof(d) - 1);
    const char *want[] = {"http://[::1]:2380", "http://a:12380",
                          "http://b:2380", "https://z.example.com:2380"};
    check_list(&p, want, 4, 0);
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            assert_ptr_not_equal(p.urls[i], urls[j]);
        }
    }
    rh_urlpick_close(&p, NULL);
}

/* TestURLPickerUpdate: the new list replaces the old. */
static void test_update(void **state)
{
    (void)state;
    const char *old[] = {"http://127.0.0.1:2380", "http://127.0.0.1:7001"};
    const char *neu[] = {"http://localhost:7001", "http://localhost:2380"};
    const char *want[] = {"http://localhost:2380", "http://localhost:7001"};
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, old, 2), 0);
    assert_int_equal(rh_urlpick_update(&p, NULL, neu, 2), 0);
    check_list(&p, want, 2, 0);

    /* After moving on, an update starts over at the first URL. */
    rh_urlpick_unreachable(&p, "http://localhost:2380");
    assert_int_equal(p.picked, 1);
    const char *three[] = {"http://c:3", "http://a:1", "http://b:2"};
    const char *want3[] = {"http://a:1", "http://b:2", "http://c:3"};
    assert_int_equal(rh_urlpick_update(&p, NULL, three, 3), 0);
    check_list(&p, want3, 3, 0);

    /* A shorter list while a later index is in use. */
    rh_urlpick_unreachable(&p, "http://a:1");
    rh_urlpick_unreachable(&p, "http://b:2");
    assert_int_equal(p.picked, 2);
    const char *one[] = {"https://d:4"};
    assert_int_equal(rh_urlpick_update(&p, NULL, one, 1), 0);
    check_list(&p, one, 1, 0);
    rh_urlpick_close(&p, NULL);
}

/* TestURLPickerUnreachable, and wrapping past the last URL. */
static void test_unreachable(void **state)
{
    (void)state;
    const char *urls[] = {"http://127.0.0.1:2380", "http://127.0.0.1:7001"};
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, urls, 2), 0);
    const char *u = rh_urlpick_pick(&p);
    char copy[64];
    memcpy(copy, u, strlen(u) + 1);
    rh_urlpick_unreachable(&p, u);
    const char *uu = rh_urlpick_pick(&p);
    assert_string_not_equal(uu, copy);
    assert_string_equal(uu, "http://127.0.0.1:7001");
    /* The old URL again (a late failure report) does not move on. */
    rh_urlpick_unreachable(&p, copy);
    assert_string_equal(rh_urlpick_pick(&p), "http://127.0.0.1:7001");
    /* The current one, given as another string of the same value, does. */
    char cur[] = "http://127.0.0.1:7001";
    rh_urlpick_unreachable(&p, cur);
    assert_string_equal(rh_urlpick_pick(&p), "http://127.0.0.1:2380");
    rh_urlpick_close(&p, NULL);

    const char *three[] = {"http://a:1", "http://b:2", "http://c:3"};
    assert_int_equal(rh_urlpick_init(&p, NULL, three, 3), 0);
    for (size_t round = 0; round < 7; round++) {
        size_t at = round % 3;
        check_list(&p, three, 3, at);
        /* Failures of URLs not in use, or not in the list, do nothing. */
        rh_urlpick_unreachable(&p, three[(at + 1) % 3]);
        rh_urlpick_unreachable(&p, three[(at + 2) % 3]);
        rh_urlpick_unreachable(&p, "http://d:4");
        rh_urlpick_unreachable(&p, "http://a:1/");
        rh_urlpick_unreachable(&p, NULL);
        assert_int_equal(p.picked, at);
        /* Two reports of the same failure move on once. */
        const char *failed = rh_urlpick_pick(&p);
        char same[32];
        memcpy(same, failed, strlen(failed) + 1);
        rh_urlpick_unreachable(&p, same);
        rh_urlpick_unreachable(&p, same);
        assert_int_equal(p.picked, (at + 1) % 3);
    }
    rh_urlpick_close(&p, NULL);
}

/* One URL: unreachable wraps onto itself. */
static void test_single_url(void **state)
{
    (void)state;
    const char *urls[] = {"https://[2001:db8::1]:2380"};
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, urls, 1), 0);
    rh_urlpick_unreachable(&p, urls[0]);
    check_list(&p, urls, 1, 0);
    rh_urlpick_close(&p, NULL);
}

/* Lists update refuses: each leaves the old list and position alone. */
static void test_invalid_lists(void **state)
{
    (void)state;
    const char *good[] = {"http://a:1", "http://b:2", "http://c:3"};
    static const char *const bad[][2] = {
        {"http://a:1", "http://nohost"},
        {"ftp://a:1", "http://b:2"},
        {"http://a:1", "http://b:2/x"},
        {"http://a:1/", "http://b:2"},
        {"http://a:65536", "http://b:2"},
        {"http://u@a:1", "http://b:2"},
        {"", "http://b:2"},
        {"http://a:1", NULL},
    };
    struct rh_urlpick p;
    assert_int_equal(rh_urlpick_init(&p, NULL, good, 3), 0);
    rh_urlpick_unreachable(&p, "http://a:1");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rh_urlpick_update(&p, NULL, bad[i], 2),
                         RAFTHTTP_EINVAL);
        check_list(&p, good, 3, 1);
    }
    /* An empty list. */
    assert_int_equal(rh_urlpick_update(&p, NULL, good, 0), RAFTHTTP_EINVAL);
    check_list(&p, good, 3, 1);
    assert_int_equal(rh_urlpick_update(&p, NULL, NULL, 0), RAFTHTTP_EINVAL);
    check_list(&p, good, 3, 1);
    /* A NULL list claiming entries. */
    assert_int_equal(rh_urlpick_update(&p, NULL, NULL, 2), RAFTHTTP_EINVAL);
    check_list(&p, good, 3, 1);
    rh_urlpick_close(&p, NULL);

    /* init refuses the same and leaves an empty picker. */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rh_urlpick_init(&p, NULL, bad[i], 2), RAFTHTTP_EINVAL);
        assert_int_equal(p.n, 0);
        assert_null(p.urls);
        assert_null(rh_urlpick_pick(&p));
        rh_urlpick_close(&p, NULL);
    }
    assert_int_equal(rh_urlpick_init(&p, NULL, good, 0), RAFTHTTP_EINVAL);
    assert_null(rh_urlpick_pick(&p));
    /* Unreachable on an empty picker is harmless. */
    rh_urlpick_unreachable(&p, "http://a:1");
    assert_null(rh_urlpick_pick(&p));
    rh_urlpick_close(&p, NULL);
}

static void test_urls_valid(void **state)
{
    (void)state;
    const char *good[] = {"http://a:1", "https://[::1]:2380",
                          "http://10.0.0.1:7001"};
    assert_true(rh_urls_valid(good, 3));
    assert_true(rh_urls_valid(good, 1));
    /* Every URL of none is valid; update refuses empty lists on its own. */
    assert_true(rh_urls_valid(NULL, 0));
    const char *mixed[] = {"http://a:1", "http://a"};
    assert_false(rh_urls_valid(mixed, 2));
    assert_true(rh_urls_valid(mixed, 1));
    const char *last_bad[] = {"http://a:1", "http://b:2", "unix://c:3"};
    assert_false(rh_urls_valid(last_bad, 3));
    const char *with_null[] = {NULL};
    assert_false(rh_urls_valid(with_null, 1));
    assert_false(rh_urls_valid(NULL, 1));
}

struct parse_case {
    const char *in;
    const char *scheme;
    const char *host;
    unsigned port;
};

static void test_url_parse_accepts(void **state)
{
    (void)state;
    static const struct parse_case cases[] = {
        {"http://127.0.0.1:2380", "http", "127.0.0.1", 2380},
        {"https://10.0.0.1:443", "https", "10.0.0.1", 443},
        {"http://[::1]:2380", "http", "::1", 2380},
        {"https://[2001:db8::7]:7001", "https", "2001:db8::7", 7001},
        {"http://localhost:7001", "http", "localhost", 7001},
        {"https://etcd-1.example.com:2380", "https", "etcd-1.example.com",
         2380},
        {"http://a:0", "http", "a", 0},
        {"http://a:1", "http", "a", 1},
        {"http://a:65535", "http", "a", 65535},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rh_url u;
        memset(&u, 0x55, sizeof(u));
        assert_int_equal(rh_url_parse(cases[i].in, &u), 0);
        assert_string_equal(u.scheme, cases[i].scheme);
        assert_string_equal(u.host, cases[i].host);
        assert_int_equal(u.port, cases[i].port);
    }
}

static void test_url_parse_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "http://a:65536",                /* port out of range */
        "http://a:99999999999999999999", /* would wrap */
        "http://a",                      /* no port */
        "http://a:",                     /* empty port */
        "http://[::1]",                  /* no port after the brackets */
        "http://[::1]2380",              /* no colon after the brackets */
        "http://[::1:2380",              /* unclosed bracket */
        "http://::1:2380",               /* IPv6 without brackets */
        "http://a:1/",                   /* etcd requires no path */
        "http://a:1/x",
        "http://a:1?x=1",
        "http://a:1#f",
        "http://a:-1",
        "http://a:1x",
        "http://u@a:1", /* user info */
        "http://u:p@a:1",
        "http://a b:1",
        "ftp://a:1", /* scheme */
        "unix://a:1",
        "a:1",
        "//a:1",
        "http:/a:1",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rh_url u;
        if (rh_url_parse(bad[i], &u) != RAFTHTTP_EINVAL) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
    }
    struct rh_url u;
    assert_int_equal(rh_url_parse(NULL, &u), RAFTHTTP_EINVAL);
}

/* Fails the k-th allocation of init, then of update, for every k. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *first[] = {"http://c:3", "http://a:1", "http://b:2"};
    const char *second[] = {"https://y:2", "https://x:1"};
    const char *want1[] = {"http://a:1", "http://b:2", "http://c:3"};
    const char *want2[] = {"https://x:1", "https://y:2"};
    long k;
    for (k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        struct rh_urlpick p;
        int rv = rh_urlpick_init(&p, &t.a, first, 3);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        if (rv == RAFTHTTP_ENOMEM) {
            assert_int_equal(p.n, 0);
            assert_null(rh_urlpick_pick(&p));
            assert_int_equal(t.live, 0);
        } else {
            check_list(&p, want1, 3, 0);
            rh_urlpick_unreachable(&p, "http://a:1");
            rv = rh_urlpick_update(&p, &t.a, second, 2);
            assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
            if (rv == 0) {
                check_list(&p, want2, 2, 0);
            } else {
                check_list(&p, want1, 3, 1);
            }
        }
        rh_urlpick_close(&p, &t.a);
        assert_int_equal(t.live, 0);
        if (t.calls < k) {
            break;
        }
    }
    /* 1 + 3 allocations for init, 1 + 2 for update: all were failed once. */
    assert_int_equal(k, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_twice),
        cmocka_unit_test(test_sorted_copies),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_single_url),
        cmocka_unit_test(test_invalid_lists),
        cmocka_unit_test(test_urls_valid),
        cmocka_unit_test(test_url_parse_accepts),
        cmocka_unit_test(test_url_parse_rejects),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("urlpick", tests, NULL, NULL);
}
