// SPDX-License-Identifier: Apache-2.0
/* How a certificate names a member (bind_member_id): URI SAN or CN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tls/tls.h"

static uint64_t uri(const char *s)
{
    return rh_tls_member_of_uri(s, strlen(s));
}

static uint64_t cn(const char *s)
{
    return rh_tls_member_of_cn(s, strlen(s));
}

static void test_uri(void **state)
{
    (void)state;
    assert_int_equal(uri("urn:rafthttp:member:1"), 1);
    assert_int_equal(uri("urn:rafthttp:member:8e9e05c52164694d"),
                     0x8e9e05c52164694dULL);
    assert_int_equal(uri("urn:rafthttp:member:8E9E05C52164694D"),
                     0x8e9e05c52164694dULL);
    assert_int_equal(uri("urn:rafthttp:member:"), 0);
    assert_int_equal(uri("urn:rafthttp:member:18e9e05c52164694d"), 0);
    assert_int_equal(uri("urn:rafthttp:member:12x"), 0);
    assert_int_equal(uri("urn:rafthttp:member: 1"), 0);
    assert_int_equal(uri("urn:rafthttp:membe:1"), 0);
    assert_int_equal(uri("https://127.0.0.1:2380"), 0);
    assert_int_equal(rh_tls_member_of_uri("urn:rafthttp:member:12", 21), 1);
}

static void test_cn(void **state)
{
    (void)state;
    assert_int_equal(cn("2"), 2);
    assert_int_equal(cn("ffffffffffffffff"), UINT64_MAX);
    assert_int_equal(cn("member-1"), 0);
    assert_int_equal(cn(""), 0);
    assert_int_equal(cn("0x12"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_cn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
