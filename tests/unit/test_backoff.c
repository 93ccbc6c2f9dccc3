/*
 * Stream redial backoff: every wait stays between the floor and the
 * current backoff, the backoff doubles up to the cap, jitter spreads the
 * waits, and the floor keeps a reader at or below 10 dials per second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stream/stream.h"

static void test_doubles_to_cap(void **state)
{
    (void)state;
    uint64_t rng = 42;
    unsigned backoff = 100;
    unsigned expect[] = {200, 400, 500, 500, 500};
    for (size_t i = 0; i < 5; i++) {
        rh_backoff_next(&backoff, 100, 500, &rng);
        assert_int_equal(backoff, expect[i]);
    }
}

static void test_wait_bounds(void **state)
{
    (void)state;
    uint64_t rng = 7;
    for (int round = 0; round < 1000; round++) {
        unsigned backoff = 100;
        for (int i = 0; i < 6; i++) {
            unsigned cur = backoff;
            unsigned wait = rh_backoff_next(&backoff, 100, 500, &rng);
            assert_true(wait >= 100); /* at most 10 dials a second */
            assert_true(wait >= cur / 2);
            assert_true(wait <= cur);
        }
    }
}

/* Jitter: readers that failed together do not redial together. */
static void test_jitter_spreads(void **state)
{
    (void)state;
    uint64_t rng = 99;
    unsigned seen_low = 0, seen_high = 0;
    for (int i = 0; i < 1000; i++) {
        unsigned backoff = 500;
        unsigned wait = rh_backoff_next(&backoff, 100, 500, &rng);
        seen_low += wait < 350;
        seen_high += wait >= 350;
    }
    assert_true(seen_low > 300);
    assert_true(seen_high > 300);
}

/* A backoff below the floor (a config change) starts at the floor. */
static void test_floor_applies(void **state)
{
    (void)state;
    uint64_t rng = 1;
    unsigned backoff = 10;
    assert_true(rh_backoff_next(&backoff, 100, 500, &rng) >= 100);
    assert_int_equal(backoff, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_to_cap),
        cmocka_unit_test(test_wait_bounds),
        cmocka_unit_test(test_jitter_spreads),
        cmocka_unit_test(test_floor_applies),
    };
    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
