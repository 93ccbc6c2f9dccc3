// SPDX-License-Identifier: Apache-2.0
/*
 * common: the capped byte buffer, big-endian integers (whole and split
 * across feeds), strict semver and its major.minor comparison, the
 * allocator wrappers (libc and a per-instance allocator, calloc overflow),
 * and the public odds and ends of rafthttp.h: error texts, version queries,
 * member ID text (etcd's types.ID) and config defaults and validation.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/common.h"
#include "testlib.h"

/* ---------------------------------------------------------------- rh_buf */

/* Fills p[0..n) with a pattern that differs from byte to byte. */
static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(seed + i * 7);
    }
}

static void test_buf_append_and_limit(void **state)
{
    (void)state;
    uint8_t src[300];
    fill_pattern(src, sizeof(src), 3);
    struct rh_buf b;
    rh_buf_init(&b, NULL, 300);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.limit, 300);

    /* Nothing to append allocates nothing. */
    assert_int_equal(rh_buf_append(&b, src, 0), 0);
    assert_null(b.data);

    assert_int_equal(rh_buf_append(&b, src, 10), 0);
    assert_int_equal(b.len, 10);
    assert_true(b.cap >= 10 && b.cap <= 300);
    assert_memory_equal(b.data, src, 10);

    /* One byte too many: refused whole, nothing changes. */
    uint8_t *data = b.data;
    size_t cap = b.cap;
    assert_int_equal(rh_buf_append(&b, src + 10, 291), RAFTHTTP_ETOOBIG);
    assert_int_equal(b.len, 10);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(rh_buf_reserve(&b, 291), RAFTHTTP_ETOOBIG);
    assert_int_equal(b.len, 10);

    /* Exactly up to the limit: the capacity never exceeds it. */
    assert_int_equal(rh_buf_append(&b, src + 10, 290), 0);
    assert_int_equal(b.len, 300);
    assert_int_equal(b.cap, 300);
    assert_memory_equal(b.data, src, 300);
    assert_int_equal(rh_buf_reserve(&b, 0), 0);
    assert_int_equal(rh_buf_append(&b, src, 1), RAFTHTTP_ETOOBIG);
    assert_int_equal(rh_buf_reserve(&b, SIZE_MAX), RAFTHTTP_ETOOBIG);
    assert_int_equal(b.len, 300);
    assert_memory_equal(b.data, src, 300);

    rh_buf_close(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_buf_growth_keeps_contents(void **state)
{
    (void)state;
    uint8_t src[5000];
    fill_pattern(src, sizeof(src), 11);
    struct rh_buf b;
    rh_buf_init(&b, NULL, sizeof(src));
    /* Uneven pieces so that several growths happen mid-append. */
    size_t off = 0;
    size_t piece = 1;
    while (off < sizeof(src)) {
        size_t n = piece < sizeof(src) - off ? piece : sizeof(src) - off;
        assert_int_equal(rh_buf_append(&b, src + off, n), 0);
        off += n;
        piece = piece * 3 + 1;
        assert_int_equal(b.len, off);
        assert_true(b.cap >= b.len && b.cap <= b.limit);
    }
    assert_memory_equal(b.data, src, sizeof(src));
    rh_buf_close(&b);
}

static void test_buf_extend_and_reset(void **state)
{
    (void)state;
    struct rh_buf b;
    rh_buf_init(&b, NULL, 16);
    assert_null(rh_buf_extend(&b, 0));
    assert_int_equal(b.len, 0);

    uint8_t *p = rh_buf_extend(&b, 8);
    assert_non_null(p);
    assert_ptr_equal(p, b.data);
    assert_int_equal(b.len, 8);
    memcpy(p, "abcdefgh", 8);

    uint8_t *q = rh_buf_extend(&b, 8);
    assert_non_null(q);
    assert_ptr_equal(q, b.data + 8);
    assert_int_equal(b.len, 16);
    memcpy(q, "ijklmnop", 8);

    /* Past the limit: NULL and nothing added. */
    assert_null(rh_buf_extend(&b, 1));
    assert_int_equal(b.len, 16);
    assert_memory_equal(b.data, "abcdefghijklmnop", 16);

    /* Reset forgets the contents, keeps the memory. */
    uint8_t *data = b.data;
    size_t cap = b.cap;
    rh_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(rh_buf_append(&b, "xy", 2), 0);
    assert_ptr_equal(b.data, data);
    assert_memory_equal(b.data, "xy", 2);
    rh_buf_close(&b);
}

static void test_buf_zero_limit(void **state)
{
    (void)state;
    struct rh_buf b;
    rh_buf_init(&b, NULL, 0);
    assert_int_equal(rh_buf_append(&b, "", 0), 0);
    assert_int_equal(rh_buf_append(&b, "x", 1), RAFTHTTP_ETOOBIG);
    assert_null(rh_buf_extend(&b, 1));
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    rh_buf_close(&b);
}

/* The buffer allocates through its allocator, and a failure changes nothing. */
static void test_buf_allocator(void **state)
{
    (void)state;
    uint8_t src[1000];
    fill_pattern(src, sizeof(src), 5);

    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    struct rh_buf b;
    rh_buf_init(&b, &t.a, sizeof(src));
    assert_int_equal(rh_buf_append(&b, src, 10), 0);
    assert_int_equal(t.live, 1);
    assert_int_equal(rh_buf_append(&b, src + 10, 990), 0);
    assert_int_equal(t.live, 1);
    assert_memory_equal(b.data, src, sizeof(src));
    rh_buf_close(&b);
    assert_int_equal(t.live, 0);

    /* The first allocation fails. */
    tl_alloc_init(&t, 1);
    rh_buf_init(&b, &t.a, sizeof(src));
    assert_int_equal(rh_buf_append(&b, src, 10), RAFTHTTP_ENOMEM);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(t.live, 0);
    rh_buf_close(&b);

    /* A growth fails: the old contents stay as they were. */
    tl_alloc_init(&t, 2);
    rh_buf_init(&b, &t.a, sizeof(src));
    assert_int_equal(rh_buf_append(&b, src, 10), 0);
    uint8_t *data = b.data;
    size_t cap = b.cap;
    assert_int_equal(rh_buf_append(&b, src + 10, 990), RAFTHTTP_ENOMEM);
    assert_int_equal(t.calls, 2);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, src, 10);
    /* And the buffer still works afterwards. */
    assert_int_equal(rh_buf_append(&b, src + 10, 990), 0);
    assert_memory_equal(b.data, src, sizeof(src));
    rh_buf_close(&b);
    assert_int_equal(t.live, 0);
}

/* ------------------------------------------------------------ big-endian */

static const uint8_t be_bytes[8] = {0x01, 0x02, 0x03, 0x04,
                                    0x05, 0x06, 0x07, 0x08};
static const uint64_t be_value = 0x0102030405060708u;

static void test_be64_put_get(void **state)
{
    (void)state;
    uint8_t out[10];
    memset(out, 0xaa, sizeof(out));
    rh_put_be64(out + 1, be_value);
    assert_memory_equal(out + 1, be_bytes, 8);
    assert_int_equal(out[0], 0xaa); /* nothing outside the eight bytes */
    assert_int_equal(out[9], 0xaa);
    assert_int_equal(rh_get_be64(be_bytes), be_value);

    const uint64_t values[] = {
        0, 1, 0xff, 0x100, 0x8000000000000000u, UINT64_MAX, 0x8f96cf29dba10d9u};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        rh_put_be64(out, values[i]);
        assert_int_equal(rh_get_be64(out), values[i]);
    }
    rh_put_be64(out, 1);
    assert_memory_equal(out, "\0\0\0\0\0\0\0\1", 8);
    rh_put_be64(out, UINT64_MAX);
    assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
}

/* Eight bytes or more at once: taken in one go, the rest left alone. */
static void test_be64_read_whole(void **state)
{
    (void)state;
    uint8_t in[11];
    memcpy(in, be_bytes, 8);
    memcpy(in + 8, "xyz", 3);
    struct rh_be64_reader r = {.have = 0};
    const uint8_t *p = in;
    size_t n = sizeof(in);
    uint64_t v = 0;
    assert_true(rh_be64_read(&r, &p, &n, &v));
    assert_int_equal(v, be_value);
    assert_ptr_equal(p, in + 8);
    assert_int_equal(n, 3);
    assert_int_equal(r.have, 0);

    /* No input: nothing happens. */
    p = in;
    n = 0;
    v = 42;
    assert_false(rh_be64_read(&r, &p, &n, &v));
    assert_ptr_equal(p, in);
    assert_int_equal(v, 42);
}

/* The eight bytes cut at every point, followed by bytes that are not ours. */
static void test_be64_read_every_split(void **state)
{
    (void)state;
    uint8_t in[11];
    memcpy(in, be_bytes, 8);
    memcpy(in + 8, "xyz", 3);
    for (size_t cut = 0; cut <= 8; cut++) {
        struct rh_be64_reader r = {.have = 0};
        const uint8_t *p = in;
        size_t n = cut;
        uint64_t v = 42;
        bool done = rh_be64_read(&r, &p, &n, &v);
        assert_int_equal(done, cut == 8);
        assert_ptr_equal(p, in + cut);
        assert_int_equal(n, 0);
        if (!done) {
            assert_int_equal(v, 42);
            n = sizeof(in) - cut;
            assert_true(rh_be64_read(&r, &p, &n, &v));
        }
        assert_int_equal(v, be_value);
        assert_ptr_equal(p, in + 8);
        assert_int_equal(n, cut == 8 ? 0 : 3); /* the rest is left alone */
        assert_int_equal(r.have, 0);
    }
}

/* Byte by byte, twice in a row: the reader is ready again after a value. */
static void test_be64_read_byte_by_byte(void **state)
{
    (void)state;
    uint8_t in[16];
    rh_put_be64(in, UINT64_MAX - 1);
    rh_put_be64(in + 8, 0x1d022bfa869d1d4u);
    const uint64_t want[2] = {UINT64_MAX - 1, 0x1d022bfa869d1d4u};
    struct rh_be64_reader r = {.have = 0};
    size_t got = 0;
    for (size_t i = 0; i < sizeof(in); i++) {
        const uint8_t *p = in + i;
        size_t n = 1;
        uint64_t v = 0;
        bool done = rh_be64_read(&r, &p, &n, &v);
        assert_int_equal(n, 0);
        assert_int_equal(done, i % 8 == 7);
        if (done) {
            assert_int_equal(v, want[got]);
            got++;
        }
    }
    assert_int_equal(got, 2);
}

/* ---------------------------------------------------------------- semver */

static void assert_semver(const char *s, int64_t major, int64_t minor,
                          int64_t patch)
{
    struct rh_semver v = {-1, -1, -1};
    int rv = rh_semver_parse(s, &v);
    if (rv != 0) {
        fail_msg("\"%s\" did not parse (%d)", s, rv);
    }
    assert_int_equal(v.major, major);
    assert_int_equal(v.minor, minor);
    assert_int_equal(v.patch, patch);
}

static void test_semver_valid(void **state)
{
    (void)state;
    assert_semver("3.4.23", 3, 4, 23);
    assert_semver("0.0.0", 0, 0, 0);
    assert_semver("2.1.0-alpha.0+git", 2, 1, 0);
    assert_semver("2.1.0-alpha.0", 2, 1, 0);
    assert_semver("3.5.0+git", 3, 5, 0);
    assert_semver("1.2.3-rc-1", 1, 2, 3);
    assert_semver("1.2.3--", 1, 2, 3);
    assert_semver("1.2.3-x.7.z.92+meta-data.01", 1, 2, 3);
    assert_semver("1.0.0+20130313144700", 1, 0, 0);
    assert_semver("10.200.3000", 10, 200, 3000);
    /* go-semver's ParseInt takes leading zeros. */
    assert_semver("03.04.023", 3, 4, 23);
    /* go-semver allows an empty pre-release or metadata. */
    assert_semver("3.4.23-", 3, 4, 23);
    assert_semver("3.4.23+", 3, 4, 23);
    assert_semver("3.4.23-+m", 3, 4, 23);
    assert_semver("3.4.23-a+", 3, 4, 23);
    assert_semver("9223372036854775807.0.0", INT64_MAX, 0, 0);
    assert_semver("0.9223372036854775807.9223372036854775807", 0, INT64_MAX,
                  INT64_MAX);
}

static void test_semver_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "3",
                         "3.4",
                         "3.4.",
                         "v3.4.23",
                         "V3.4.23",
                         "1.2.3.4",
                         "1.2",
                         "a.b.c",
                         "1..2",
                         "1.2.",
                         ".1.2",
                         "1.2.x",
                         "1.2.3x",
                         "1.2.3 ",
                         " 1.2.3",
                         "1. 2.3",
                         "-1.2.3",
                         "+1.2.3",
                         "1.-2.3",
                         "1.+2.3",
                         "1.2.3-a..b",
                         "1.2.3-.a",
                         "1.2.3-a.",
                         "1.2.3-a_b",
                         "1.2.3-a b",
                         "1.2.3+a+b",
                         "1.2.3+a..b",
                         "1.2.3+\xc3\xa4",
                         "9223372036854775808.0.0",
                         "0.0.99999999999999999999",
                         "1.2.3\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rh_semver v = {7, 8, 9};
        int rv = rh_semver_parse(bad[i], &v);
        if (rv != RAFTHTTP_EINVAL) {
            fail_msg("\"%s\": got %d, want RAFTHTTP_EINVAL", bad[i], rv);
        }
        /* A failed parse leaves the output alone. */
        assert_int_equal(v.major, 7);
        assert_int_equal(v.minor, 8);
        assert_int_equal(v.patch, 9);
    }
    struct rh_semver v;
    assert_int_equal(rh_semver_parse(NULL, &v), RAFTHTTP_EINVAL);
}

static int cmp_versions(const char *a, const char *b)
{
    struct rh_semver va, vb;
    assert_int_equal(rh_semver_parse(a, &va), 0);
    assert_int_equal(rh_semver_parse(b, &vb), 0);
    return rh_semver_cmp_major_minor(&va, &vb);
}

/* etcd's TestCompareMajorMinorVersion, plus the major/minor order. */
static void test_semver_cmp_major_minor(void **state)
{
    (void)state;
    assert_int_equal(cmp_versions("2.1.0", "2.1.0"), 0);
    assert_int_equal(cmp_versions("2.0.0", "2.1.0"), -1);
    assert_int_equal(cmp_versions("2.2.0", "2.1.0"), 1);
    assert_int_equal(cmp_versions("2.1.1", "2.1.0"), 0);
    assert_int_equal(cmp_versions("2.1.0-alpha.0", "2.1.0"), 0);
    assert_int_equal(cmp_versions("2.1.0", "2.1.9+meta"), 0);
    assert_int_equal(cmp_versions("3.0.0", "2.9.9"), 1);
    assert_int_equal(cmp_versions("2.9.9", "3.0.0"), -1);
    assert_int_equal(cmp_versions("3.10.0", "3.9.0"), 1);
    assert_int_equal(cmp_versions("4.0.0", "3.4.23"), 1);
    assert_int_equal(cmp_versions("0.0.0", "9223372036854775807.0.0"), -1);
}

/* ------------------------------------------------------- errors, version */

struct error_row {
    int code;
    int value;
    const char *text;
};

/* Written out by hand: the table in rafthttp.h must match it. */
static const struct error_row error_rows[] = {
    {RAFTHTTP_ENOMEM, -1, "out of memory"},
    {RAFTHTTP_EINVAL, -2, "invalid argument"},
    {RAFTHTTP_ETOOBIG, -3, "size limit exceeded"},
    {RAFTHTTP_EPROTO, -4, "malformed data from a peer"},
    {RAFTHTTP_ECLUSTER_MISMATCH, -5, "cluster ID mismatch"},
    {RAFTHTTP_EVERSION, -6, "incompatible version"},
    {RAFTHTTP_EPEER_NOT_FOUND, -7, "peer not found"},
    {RAFTHTTP_EREMOVED, -8, "member removed from the cluster"},
    {RAFTHTTP_ESTOPPED, -9, "transport stopped"},
    {RAFTHTTP_EIO, -10, "I/O error"},
    {RAFTHTTP_ETLS, -11, "TLS error"},
    {RAFTHTTP_ECANCELED, -12, "operation canceled"},
    {RAFTHTTP_ETIMEDOUT, -13, "timed out"},
    {RAFTHTTP_EAGAIN, -14, "incomplete input, more bytes needed"},
    {RAFTHTTP_ENOTSTARTED, -15, "transport not started"},
    {RAFTHTTP_EBUSY, -16, "a snapshot to this peer is already in flight"},
    {RAFTHTTP_EEXIST, -17, "peer already added with other URLs"},
    {RAFTHTTP_EFULL, -18, "queue full"},
};

/* Every code of the X-macro table, in table order. */
#define ERR_VALUE(name, value, text) RAFTHTTP_##name,
static const int map_codes[] = {RAFTHTTP_ERRNO_MAP(ERR_VALUE)};
#undef ERR_VALUE

static void test_strerror(void **state)
{
    (void)state;
    size_t n_rows = sizeof(error_rows) / sizeof(error_rows[0]);
    /* A code added to the map without a row here fails this. */
    assert_int_equal(sizeof(map_codes) / sizeof(map_codes[0]), n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        assert_int_equal(map_codes[i], error_rows[i].code);
        assert_int_equal(error_rows[i].code, error_rows[i].value);
        assert_string_equal(rafthttp_strerror(error_rows[i].code),
                            error_rows[i].text);
    }
    assert_string_equal(rafthttp_strerror(0), "success");
    const int unknown[] = {1, -19, 100, -100, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(rafthttp_strerror(unknown[i]), "unknown error");
    }
}

static void test_version(void **state)
{
    (void)state;
    unsigned want = ((unsigned)RAFTHTTP_VERSION_MAJOR << 16) |
                    ((unsigned)RAFTHTTP_VERSION_MINOR << 8) |
                    (unsigned)RAFTHTTP_VERSION_PATCH;
    assert_int_equal(rafthttp_version(), want);
    assert_int_equal(rafthttp_version(), RAFTHTTP_VERSION_HEX);
    assert_string_equal(rafthttp_version_string(), RAFTHTTP_VERSION_STRING);

    char text[64];
    snprintf(text, sizeof(text), "%d.%d.%d", RAFTHTTP_VERSION_MAJOR,
             RAFTHTTP_VERSION_MINOR, RAFTHTTP_VERSION_PATCH);
    assert_string_equal(rafthttp_version_string(), text);
    assert_semver(rafthttp_version_string(), RAFTHTTP_VERSION_MAJOR,
                  RAFTHTTP_VERSION_MINOR, RAFTHTTP_VERSION_PATCH);
}

/* ------------------------------------------------------------ member IDs */

static void assert_id_format(uint64_t id, const char *want)
{
    char buf[RAFTHTTP_ID_STRLEN + 2];
    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(rafthttp_id_format(id, buf), buf);
    assert_string_equal(buf, want);
    /* Nothing written past the terminating NUL. */
    for (size_t i = strlen(want) + 1; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 'x');
    }
}

static void test_id_format(void **state)
{
    (void)state;
    assert_id_format(0x8f96cf29dba10d9u, "8f96cf29dba10d9");
    assert_id_format(0x1d022bfa869d1d4u, "1d022bfa869d1d4");
    assert_id_format(0, "0");
    assert_id_format(1, "1");
    assert_id_format(0x10, "10");
    assert_id_format(0xabcdef, "abcdef");
    assert_id_format(0x8000000000000000u, "8000000000000000");
    assert_id_format(UINT64_MAX, "ffffffffffffffff");
}

static void assert_id_parses(const char *s, uint64_t want)
{
    uint64_t id = 12345;
    int rv = rafthttp_id_parse(s, &id);
    if (rv != 0) {
        fail_msg("\"%s\" did not parse (%d)", s, rv);
    }
    assert_int_equal(id, want);
}

static void test_id_parse_valid(void **state)
{
    (void)state;
    assert_id_parses("8f96cf29dba10d9", 0x8f96cf29dba10d9u);
    assert_id_parses("8F96CF29DBA10D9", 0x8f96cf29dba10d9u);
    assert_id_parses("8f96CF29dba10D9", 0x8f96cf29dba10d9u);
    assert_id_parses("08f96cf29dba10d9", 0x8f96cf29dba10d9u);
    assert_id_parses("0", 0);
    assert_id_parses("0000000000000000000000", 0);
    assert_id_parses("1", 1);
    assert_id_parses("00000000000000000000001", 1);
    assert_id_parses("ffffffffffffffff", UINT64_MAX);
    assert_id_parses("FFFFFFFFFFFFFFFF", UINT64_MAX);
    assert_id_parses("0ffffffffffffffff", UINT64_MAX);
    assert_id_parses("8000000000000000", 0x8000000000000000u);
}

static void test_id_parse_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "0x1",
                         "0X1",
                         "+1",
                         "-1",
                         " 1",
                         "1 ",
                         "1\n",
                         "g",
                         "1g",
                         "zz",
                         "8f96cf29dba10d9 ",
                         "10000000000000000",
                         "fffffffffffffffff",
                         "00010000000000000000",
                         "1_0",
                         "1.0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t id = 12345;
        int rv = rafthttp_id_parse(bad[i], &id);
        if (rv != RAFTHTTP_EINVAL) {
            fail_msg("\"%s\": got %d, want RAFTHTTP_EINVAL", bad[i], rv);
        }
        assert_int_equal(id, 12345);
    }
    uint64_t id = 12345;
    assert_int_equal(rafthttp_id_parse(NULL, &id), RAFTHTTP_EINVAL);
    assert_int_equal(id, 12345);
    assert_int_equal(rafthttp_id_parse("1", NULL), RAFTHTTP_EINVAL);
}

static void test_id_round_trip(void **state)
{
    (void)state;
    uint64_t v = 1;
    for (int i = 0; i < 64; i++) {
        const uint64_t ids[] = {v, v - 1, v | 1, ~v};
        for (size_t j = 0; j < sizeof(ids) / sizeof(ids[0]); j++) {
            char buf[RAFTHTTP_ID_STRLEN];
            uint64_t back = ids[j] + 1;
            rafthttp_id_format(ids[j], buf);
            assert_int_equal(rafthttp_id_parse(buf, &back), 0);
            assert_int_equal(back, ids[j]);
        }
        v <<= 1;
    }
}

/* ---------------------------------------------------------------- config */

static void test_config_init(void **state)
{
    (void)state;
    struct rafthttp_config cfg;
    memset(&cfg, 0xa5, sizeof(cfg));
    rafthttp_config_init(&cfg);
    assert_int_equal(cfg.local_id, 0);
    assert_int_equal(cfg.cluster_id, 0);
    assert_string_equal(cfg.server_version, "3.4.23");
    assert_string_equal(cfg.min_cluster_version, "3.0.0");
    assert_int_equal(cfg.max_msg_bytes, 512u * 1024 * 1024);
    assert_int_equal(cfg.max_snapshot_head_bytes, 64u * 1024 * 1024);
    assert_null(cfg.allocator);
    /* Zero IDs: the defaults alone are not a valid config. */
    assert_int_equal(rafthttp_config_validate(&cfg), RAFTHTTP_EINVAL);
}

static struct rafthttp_config valid_config(void)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 0x1d022bfa869d1d4u;
    cfg.cluster_id = 0x8f96cf29dba10d9u;
    return cfg;
}

static void assert_config_invalid(const struct rafthttp_config *cfg)
{
    assert_int_equal(rafthttp_config_validate(cfg), RAFTHTTP_EINVAL);
}

static void test_config_validate_ids_and_limits(void **state)
{
    (void)state;
    struct rafthttp_config cfg = valid_config();
    assert_int_equal(rafthttp_config_validate(&cfg), 0);
    assert_config_invalid(NULL);

    cfg.local_id = 0;
    assert_config_invalid(&cfg);
    cfg = valid_config();
    cfg.cluster_id = 0;
    assert_config_invalid(&cfg);
    cfg.local_id = 0;
    assert_config_invalid(&cfg);

    cfg = valid_config();
    cfg.max_msg_bytes = 0;
    assert_config_invalid(&cfg);
    cfg = valid_config();
    cfg.max_snapshot_head_bytes = 0;
    assert_config_invalid(&cfg);
    cfg = valid_config();
    cfg.max_msg_bytes = 1;
    cfg.max_snapshot_head_bytes = 1;
    cfg.local_id = UINT64_MAX;
    cfg.cluster_id = 1;
    assert_int_equal(rafthttp_config_validate(&cfg), 0);
}

static void test_config_validate_versions(void **state)
{
    (void)state;
    const char *bad[] = {"3.4", "v3.4.23", "3.4.x", "", "3.4.23.1", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rafthttp_config cfg = valid_config();
        cfg.server_version = bad[i];
        assert_config_invalid(&cfg);
        cfg = valid_config();
        cfg.min_cluster_version = bad[i];
        assert_config_invalid(&cfg);
    }
    struct rafthttp_config cfg = valid_config();
    cfg.server_version = "3.5.0-alpha.0+git";
    cfg.min_cluster_version = "3.4.0";
    assert_int_equal(rafthttp_config_validate(&cfg), 0);
}

static void *null_malloc(size_t size, void *ud)
{
    (void)size;
    (void)ud;
    return NULL;
}

static void *null_realloc(void *ptr, size_t size, void *ud)
{
    (void)ptr;
    (void)size;
    (void)ud;
    return NULL;
}

static void null_free(void *ptr, void *ud)
{
    (void)ptr;
    (void)ud;
}

static void test_config_validate_allocator(void **state)
{
    (void)state;
    struct rafthttp_config cfg = valid_config();
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    cfg.allocator = &t.a;
    assert_int_equal(rafthttp_config_validate(&cfg), 0);

    struct rafthttp_allocator a = {NULL, null_malloc, null_realloc, null_free};
    cfg.allocator = &a;
    assert_int_equal(rafthttp_config_validate(&cfg), 0);
    a.malloc = NULL;
    assert_config_invalid(&cfg);
    a.malloc = null_malloc;
    a.realloc = NULL;
    assert_config_invalid(&cfg);
    a.realloc = null_realloc;
    a.free = NULL;
    assert_config_invalid(&cfg);
    struct rafthttp_allocator none = {NULL, NULL, NULL, NULL};
    cfg.allocator = &none;
    assert_config_invalid(&cfg);
    assert_int_equal(t.calls, 0); /* validation allocates nothing */
}

/* Refused with exactly this text, in the buffer and on the thread. */
static void assert_refused(const struct rafthttp_config *cfg, const char *why)
{
    char err[256];
    memset(err, 'x', sizeof(err));
    assert_int_equal(rafthttp_config_check(cfg, err, sizeof(err)),
                     RAFTHTTP_EINVAL);
    assert_string_equal(err, why);
    assert_string_equal(rafthttp_transport_errmsg(NULL), why);
}

static void test_config_check_says_which(void **state)
{
    (void)state;
    static const char *const bad_url[] = {"http://a:1", "ftp://x"};
    static const char *const tls_url[] = {"https://127.0.0.1:2380"};
    struct rafthttp_config cfg = valid_config();
    char err[64] = "stale";
    assert_int_equal(rafthttp_config_check(&cfg, err, sizeof(err)), 0);
    assert_string_equal(err, ""); /* cleared on success */
    assert_int_equal(rafthttp_config_check(&cfg, NULL, 0), 0);

    assert_refused(NULL, "cfg: NULL");
    cfg.local_id = 0;
    assert_refused(&cfg, "local_id: must not be 0");
    cfg = valid_config();
    cfg.cluster_id = 0;
    assert_refused(&cfg, "cluster_id: must not be 0");
    cfg = valid_config();
    cfg.server_version = "3.4";
    assert_refused(&cfg,
                   "server_version: \"3.4\" is not a version (want X.Y.Z)");
    cfg = valid_config();
    cfg.min_cluster_version = NULL;
    assert_refused(&cfg, "min_cluster_version: NULL (want X.Y.Z)");
    cfg = valid_config();
    cfg.cluster_version = "not_decided";
    assert_int_equal(rafthttp_config_check(&cfg, NULL, 0), 0);
    cfg.cluster_version = "3.x";
    assert_refused(&cfg,
                   "cluster_version: \"3.x\" is not a version (want X.Y.Z)");
    cfg = valid_config();
    cfg.pipeline_conns = 0;
    assert_refused(&cfg, "pipeline_conns: must not be 0");
    cfg = valid_config();
    cfg.read_timeout_ms = 299;
    assert_refused(&cfg, "read_timeout_ms: 299 is below 300");
    cfg = valid_config();
    cfg.dial_retry_max_ms = cfg.dial_retry_min_ms - 1;
    char want[128];
    snprintf(want, sizeof(want),
             "dial_retry_max_ms: %u is below dial_retry_min_ms %u",
             cfg.dial_retry_max_ms, cfg.dial_retry_min_ms);
    assert_refused(&cfg, want);
    cfg = valid_config();
    cfg.peer_urls = bad_url;
    cfg.n_peer_urls = 2;
    assert_refused(&cfg,
                   "peer_urls[1]: \"ftp://x\" is not http(s)://host:port");
    cfg.n_peer_urls = 1;
    assert_int_equal(rafthttp_config_check(&cfg, NULL, 0), 0);
    cfg = valid_config();
    cfg.listen_urls = tls_url;
    cfg.n_listen_urls = 1;
    assert_refused(&cfg, "listen_urls[0]: \"https://127.0.0.1:2380\" is "
                         "https, but tls is NULL");
    cfg = valid_config();
    cfg.listen_urls = NULL;
    cfg.n_listen_urls = 2;
    assert_refused(&cfg, "listen_urls: NULL with n_listen_urls 2");
    cfg = valid_config();
    cfg.log_level = (enum rafthttp_log_level)7;
    assert_refused(&cfg, "log_level: 7 is not a rafthttp_log_level");
    cfg = valid_config();
    cfg.log_format = (enum rafthttp_log_format)3;
    assert_refused(&cfg, "log_format: 3 is not a rafthttp_log_format");
}

/* size: set by rafthttp_config_init; 0 or larger than ours is refused. */
static void test_config_check_size(void **state)
{
    (void)state;
    struct rafthttp_config cfg = valid_config();
    assert_int_equal(cfg.size, sizeof(cfg));
    char want[192];
    snprintf(want, sizeof(want),
             "size: 0, this library's config has %zu (call "
             "rafthttp_config_init, and build against this library's header)",
             sizeof(cfg));
    cfg.size = 0;
    assert_refused(&cfg, want);
    cfg.size = sizeof(cfg) + 8;
    snprintf(want, sizeof(want),
             "size: %zu, this library's config has %zu (call "
             "rafthttp_config_init, and build against this library's header)",
             sizeof(cfg) + 8, sizeof(cfg));
    assert_refused(&cfg, want);
    /* An older, shorter config: the fields it lacks take their defaults. */
    cfg = valid_config();
    cfg.size = offsetof(struct rafthttp_config, log_format);
    cfg.log_format = (enum rafthttp_log_format)99; /* past its size */
    assert_int_equal(rafthttp_config_check(&cfg, NULL, 0), 0);
    /* A short buffer gets a cut, terminated text. */
    cfg.local_id = 0;
    char err[8];
    assert_int_equal(rafthttp_config_check(&cfg, err, sizeof(err)),
                     RAFTHTTP_EINVAL);
    assert_string_equal(err, "local_i");
}

/* ------------------------------------------------------------ allocation */

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

static void test_alloc_libc(void **state)
{
    (void)state;
    uint8_t *p = rh_malloc(NULL, 16);
    assert_non_null(p);
    memset(p, 0x5a, 16);
    p = rh_realloc(NULL, p, 4096);
    assert_non_null(p);
    assert_int_equal(p[0], 0x5a);
    assert_int_equal(p[15], 0x5a);
    rh_free(NULL, p);

    /* Size 0 still gives a freeable pointer. */
    p = rh_malloc(NULL, 0);
    assert_non_null(p);
    p = rh_realloc(NULL, p, 0);
    assert_non_null(p);
    rh_free(NULL, p);

    /* realloc(NULL, n) acts as malloc. */
    p = rh_realloc(NULL, NULL, 32);
    assert_non_null(p);
    rh_free(NULL, p);

    p = rh_calloc(NULL, 100, 40);
    assert_non_null(p);
    assert_true(all_zero(p, 4000));
    rh_free(NULL, p);
    p = rh_calloc(NULL, 0, 0);
    assert_non_null(p);
    rh_free(NULL, p);

    rh_free(NULL, NULL);
}

static void test_alloc_instance(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    uint8_t *p = rh_malloc(&t.a, 16);
    assert_non_null(p);
    assert_int_equal(t.calls, 1);
    assert_int_equal(t.live, 1);
    memset(p, 0x5a, 16);
    p = rh_realloc(&t.a, p, 4096);
    assert_non_null(p);
    assert_int_equal(p[15], 0x5a);
    assert_int_equal(t.calls, 2);
    assert_int_equal(t.live, 1);

    /* calloc zeroes even though this allocator's malloc does not. */
    uint8_t *q = rh_calloc(&t.a, 1000, 4);
    assert_non_null(q);
    assert_true(all_zero(q, 4000));
    assert_int_equal(t.live, 2);
    uint8_t *z = rh_calloc(&t.a, 0, 8);
    assert_non_null(z);
    uint8_t *m0 = rh_malloc(&t.a, 0);
    assert_non_null(m0);
    assert_int_equal(t.live, 4);

    rh_free(&t.a, p);
    rh_free(&t.a, q);
    rh_free(&t.a, z);
    rh_free(&t.a, m0);
    assert_int_equal(t.live, 0);
    rh_free(&t.a, NULL); /* does not reach the allocator */
    assert_int_equal(t.live, 0);
}

static void test_alloc_instance_failure(void **state)
{
    (void)state;
    struct tl_alloc t;
    tl_alloc_init(&t, 1);
    assert_null(rh_malloc(&t.a, 16));
    assert_int_equal(t.live, 0);

    tl_alloc_init(&t, 1);
    assert_null(rh_calloc(&t.a, 4, 4));
    assert_int_equal(t.live, 0);

    /* A failed realloc leaves the old block alive and intact. */
    tl_alloc_init(&t, 2);
    uint8_t *p = rh_malloc(&t.a, 8);
    assert_non_null(p);
    memcpy(p, "rafthttp", 8);
    assert_null(rh_realloc(&t.a, p, 1 << 16));
    assert_int_equal(t.live, 1);
    assert_memory_equal(p, "rafthttp", 8);
    rh_free(&t.a, p);
    assert_int_equal(t.live, 0);
}

static void test_calloc_overflow(void **state)
{
    (void)state;
    assert_null(rh_calloc(NULL, SIZE_MAX / 2 + 1, 2));
    assert_null(rh_calloc(NULL, SIZE_MAX, SIZE_MAX));
    assert_null(rh_calloc(NULL, 2, SIZE_MAX / 2 + 1));

    /* An overflowing request never reaches the allocator. */
    struct tl_alloc t;
    tl_alloc_init(&t, 0);
    assert_null(rh_calloc(&t.a, SIZE_MAX / 16 + 1, 16));
    assert_null(rh_calloc(&t.a, (size_t)1 << (sizeof(size_t) * 4),
                          (size_t)1 << (sizeof(size_t) * 4)));
    assert_int_equal(t.calls, 0);

    /* Zero times anything is not an overflow. */
    uint8_t *p = rh_calloc(&t.a, 0, SIZE_MAX);
    assert_non_null(p);
    assert_int_equal(t.live, 1);
    rh_free(&t.a, p);
    assert_int_equal(t.live, 0);
}

/* etcd's own values (membership.NewMember / NewClusterFromURLsMap, 3.4). */
static void test_member_and_cluster_ids(void **state)
{
    (void)state;
    const char *one[] = {"http://127.0.0.1:2380"};
    const char *two[] = {"http://127.0.0.1:22380", "http://10.0.0.2:2380"};
    uint64_t a, b, c, d;
    assert_int_equal(rafthttp_member_id(one, 1, "etcd-cluster", &a), 0);
    assert_int_equal(a, 0xb71f75320dc06a6cu);
    assert_int_equal(rafthttp_member_id(two, 2, "tok", &b), 0);
    assert_int_equal(b, 0x519f43c8fe8ed7u);
    assert_int_equal(rafthttp_member_id(two, 2, "etcd-cluster", &c), 0);
    assert_int_equal(c, 0xc2338e666a801c8du);
    uint64_t ids[] = {c, a}; /* order does not matter */
    assert_int_equal(rafthttp_cluster_id(ids, 2, &d), 0);
    assert_int_equal(d, 0x2afbf8164e47c253u);
    assert_int_equal(rafthttp_member_id(NULL, 0, "t", &a), RAFTHTTP_EINVAL);
    assert_int_equal(rafthttp_cluster_id(ids, 0, &d), RAFTHTTP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_and_cluster_ids),
        cmocka_unit_test(test_buf_append_and_limit),
        cmocka_unit_test(test_buf_growth_keeps_contents),
        cmocka_unit_test(test_buf_extend_and_reset),
        cmocka_unit_test(test_buf_zero_limit),
        cmocka_unit_test(test_buf_allocator),
        cmocka_unit_test(test_be64_put_get),
        cmocka_unit_test(test_be64_read_whole),
        cmocka_unit_test(test_be64_read_every_split),
        cmocka_unit_test(test_be64_read_byte_by_byte),
        cmocka_unit_test(test_semver_valid),
        cmocka_unit_test(test_semver_invalid),
        cmocka_unit_test(test_semver_cmp_major_minor),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_id_format),
        cmocka_unit_test(test_id_parse_valid),
        cmocka_unit_test(test_id_parse_invalid),
        cmocka_unit_test(test_id_round_trip),
        cmocka_unit_test(test_config_init),
        cmocka_unit_test(test_config_validate_ids_and_limits),
        cmocka_unit_test(test_config_validate_versions),
        cmocka_unit_test(test_config_validate_allocator),
        cmocka_unit_test(test_config_check_says_which),
        cmocka_unit_test(test_config_check_size),
        cmocka_unit_test(test_alloc_libc),
        cmocka_unit_test(test_alloc_instance),
        cmocka_unit_test(test_alloc_instance_failure),
        cmocka_unit_test(test_calloc_overflow),
    };
    return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
