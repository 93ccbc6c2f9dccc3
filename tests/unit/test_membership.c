// SPDX-License-Identifier: Apache-2.0
/*
 * The public membership helpers: ConfChange and ConfChangeV2 bytes (etcd's
 * exact encodings, checked further by the golden vectors), decoding with
 * borrowed context and caller-sized change arrays, and etcd's member JSON
 * written and read as Go's encoding/json does, with every refusal's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rafthttp.h"

static void assert_bytes(const uint8_t *got, size_t len, const char *hex)
{
    char text[512] = "";
    for (size_t i = 0; i < len && 2 * i + 2 < sizeof(text); i++) {
        snprintf(text + 2 * i, 3, "%02x", got[i]);
    }
    assert_string_equal(text, hex);
}

/* ------------------------------------------------------- ConfChange */

static void test_conf_change_bytes(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = 0;
    struct rafthttp_conf_change cc = {0};
    /* Zero scalars are written all the same; no context, no field 4. */
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, sizeof(buf), &len),
                     0);
    assert_bytes(buf, len, "080010001800");
    cc = (struct rafthttp_conf_change){.id = 300,
                                       .type = RAFTHTTP_CONF_ADD_LEARNER_NODE,
                                       .node_id = 4,
                                       .context = {(const uint8_t *)"ab", 2}};
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, sizeof(buf), &len),
                     0);
    assert_bytes(buf, len,
                 "08ac02100318042202"
                 "6162");
    /* Present but empty: field 4 with length 0, as Go writes []byte{}. */
    cc.context = (struct rafthttp_bytes){(const uint8_t *)"", 0};
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, sizeof(buf), &len),
                     0);
    assert_bytes(buf, len,
                 "08ac021003180422"
                 "00");
    /* A negative enum takes ten bytes, as Go sign-extends it. */
    cc = (struct rafthttp_conf_change){.type = -1};
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, sizeof(buf), &len),
                     0);
    assert_int_equal(len, 2 + 11 + 2);
}

static void test_conf_change_round_trip(void **state)
{
    (void)state;
    const char ctx[] = "{\"id\":4,\"peerURLs\":[\"http://10.0.0.4:2380\"]}";
    struct rafthttp_conf_change cc = {
        .id = UINT64_MAX,
        .type = RAFTHTTP_CONF_REMOVE_NODE,
        .node_id = 0x8e9e05c52164694d,
        .context = {(const uint8_t *)ctx, sizeof(ctx) - 1}};
    uint8_t buf[128];
    size_t len = 0;
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, sizeof(buf), &len),
                     0);
    struct rafthttp_conf_change back;
    assert_int_equal(rafthttp_conf_change_decode(buf, len, &back), 0);
    assert_int_equal(back.id, cc.id);
    assert_int_equal(back.type, cc.type);
    assert_int_equal(back.node_id, cc.node_id);
    assert_int_equal(back.context.len, sizeof(ctx) - 1);
    assert_true(back.context.base >= buf && back.context.base < buf + len);
    assert_memory_equal(back.context.base, ctx, sizeof(ctx) - 1);
    /* Absent context: base NULL; present and empty: base set, len 0. */
    assert_int_equal(
        rafthttp_conf_change_decode((const uint8_t *)"\x08\x01", 2, &back), 0);
    assert_null(back.context.base);
    assert_int_equal(
        rafthttp_conf_change_decode((const uint8_t *)"\x22\x00", 2, &back), 0);
    assert_non_null(back.context.base);
    assert_int_equal(back.context.len, 0);
    /* Unknown fields are skipped; the last of a repeated one wins. */
    assert_int_equal(rafthttp_conf_change_decode(
                         (const uint8_t *)"\x18\x05\x78\x01\x18\x07", 6, &back),
                     0);
    assert_int_equal(back.node_id, 7);
}

static void test_conf_change_refusals(void **state)
{
    (void)state;
    struct rafthttp_conf_change cc = {.id = 1};
    uint8_t buf[8];
    size_t len = 0;
    assert_int_equal(rafthttp_conf_change_encode(&cc, NULL, 0, &len),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(len, 6);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_encode: cap 0, the encoding needs 6");
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, 5, &len),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(rafthttp_conf_change_encode(NULL, buf, 8, &len),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_encode: cc NULL");
    cc.context.len = 3;
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, 8, &len),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_encode: cc->context: base NULL with "
                        "len > 0");
    assert_int_equal(rafthttp_conf_change_encode(&cc, buf, 8, NULL),
                     RAFTHTTP_EINVAL);
    struct rafthttp_conf_change out;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\x08", 1},         /* a varint cut short */
        {"\x22\x05\x61", 3}, /* context longer than the input */
        {"\x0a\x01\x00", 3}, /* ID with the bytes wire type */
        {"\x22\x01", 2},     /* context cut short */
        {"\x07\x00", 2},     /* tag 0 */
        {"\x0b\x00", 2},     /* wire type 3 (group start) */
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rafthttp_conf_change_decode(
                             (const uint8_t *)bad[i].bytes, bad[i].len, &out),
                         RAFTHTTP_EPROTO);
        assert_string_equal(rafthttp_transport_errmsg(NULL),
                            "conf_change_decode: not a valid encoding");
    }
    assert_int_equal(rafthttp_conf_change_decode(NULL, 2, &out),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_decode: data NULL with len > 0");
    assert_int_equal(rafthttp_conf_change_decode(NULL, 0, &out), 0);
    assert_int_equal(rafthttp_conf_change_decode((const uint8_t *)"", 0, NULL),
                     RAFTHTTP_EINVAL);
}

static void test_conf_change_v2(void **state)
{
    (void)state;
    static const struct rafthttp_conf_change_single three[] = {
        {RAFTHTTP_CONF_ADD_NODE, 4},
        {RAFTHTTP_CONF_REMOVE_NODE, 3},
        {RAFTHTTP_CONF_ADD_LEARNER_NODE, 5},
    };
    struct rafthttp_conf_change_v2 cc = {
        .transition = RAFTHTTP_CONF_TRANSITION_JOINT_EXPLICIT,
        .changes = three,
        .n_changes = 3,
        .context = {(const uint8_t *)"x", 1}};
    uint8_t buf[64];
    size_t len = 0;
    assert_int_equal(
        rafthttp_conf_change_v2_encode(&cc, buf, sizeof(buf), &len), 0);
    assert_bytes(buf, len,
                 "0802"
                 "1204080010041204080110031204080310051a0178");
    struct rafthttp_conf_change_single got[3];
    struct rafthttp_conf_change_v2 back;
    assert_int_equal(rafthttp_conf_change_v2_decode(buf, len, &back, got, 3),
                     0);
    assert_int_equal(back.transition, cc.transition);
    assert_int_equal(back.n_changes, 3);
    assert_ptr_equal(back.changes, got);
    assert_memory_equal(got, three, sizeof(three));
    assert_int_equal(back.context.len, 1);
    /* Too small an array: how many there are, to call again. */
    assert_int_equal(rafthttp_conf_change_v2_decode(buf, len, &back, got, 2),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(back.n_changes, 3);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_v2_decode: 3 changes, cap 2");
    assert_int_equal(rafthttp_conf_change_v2_decode(buf, len, &back, NULL, 0),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(rafthttp_conf_change_v2_decode(buf, len, &back, NULL, 1),
                     RAFTHTTP_EINVAL);
    /* A malformed change inside is a malformed ConfChangeV2. */
    assert_int_equal(rafthttp_conf_change_v2_decode(
                         (const uint8_t *)"\x12\x02\x08\x80", 4, &back, got, 3),
                     RAFTHTTP_EPROTO);
    /* Empty: the transition alone. */
    cc = (struct rafthttp_conf_change_v2){0};
    assert_int_equal(
        rafthttp_conf_change_v2_encode(&cc, buf, sizeof(buf), &len), 0);
    assert_bytes(buf, len, "0800");
    cc.n_changes = 1;
    assert_int_equal(
        rafthttp_conf_change_v2_encode(&cc, buf, sizeof(buf), &len),
        RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "conf_change_v2_encode: cc->changes: NULL with "
                        "n_changes > 0");
}

/* -------------------------------------------------------- member JSON */

static const char *member_text(const struct rafthttp_member *m, bool promote)
{
    static char buf[1024];
    size_t len = 0;
    assert_int_equal(rafthttp_member_json(m, promote, buf, sizeof(buf), &len),
                     0);
    assert_int_equal(strlen(buf), len);
    return buf;
}

static void test_member_json_fields(void **state)
{
    (void)state;
    static const char *const peers[] = {"http://10.0.0.4:2380",
                                        "http://10.0.0.4:2381"};
    static const char *const clients[] = {"http://10.0.0.4:2379"};
    struct rafthttp_member m = {.id = 5582299463101008745u,
                                .name = "infra4",
                                .peer_urls = peers,
                                .n_peer_urls = 1};
    assert_string_equal(member_text(&m, false),
                        "{\"id\":5582299463101008745,\"peerURLs\":[\"http://"
                        "10.0.0.4:2380\"],\"name\":\"infra4\"}");
    m.n_peer_urls = 2;
    m.client_urls = clients;
    m.n_client_urls = 1;
    m.is_learner = true;
    assert_string_equal(
        member_text(&m, true),
        "{\"id\":5582299463101008745,\"peerURLs\":[\"http://10.0.0.4:2380\","
        "\"http://10.0.0.4:2381\"],\"isLearner\":true,\"name\":\"infra4\","
        "\"clientURLs\":[\"http://10.0.0.4:2379\"],\"isPromote\":true}");
    /* Absent peer URLs are null; empty ones []; empty name and clients go. */
    struct rafthttp_member bare = {.id = UINT64_MAX, .name = ""};
    assert_string_equal(member_text(&bare, false),
                        "{\"id\":18446744073709551615,\"peerURLs\":null}");
    bare.peer_urls = peers;
    bare.client_urls = clients; /* n 0: omitted */
    assert_string_equal(member_text(&bare, false),
                        "{\"id\":18446744073709551615,\"peerURLs\":[]}");
}

/* Go's escaping: HTML-safe, U+2028/9, invalid UTF-8 as \ufffd. */
static void test_member_json_escaping(void **state)
{
    (void)state;
    struct rafthttp_member m = {.id = 1, .name = "a\"b\\c<d>e&f\n\r\t\b\f\x01"};
    assert_string_equal(member_text(&m, false),
                        "{\"id\":1,\"peerURLs\":null,\"name\":\"a\\\"b\\\\c"
                        "\\u003cd\\u003ee\\u0026f\\n\\r\\t\\u0008\\u000c"
                        "\\u0001\"}");
    m.name = "caf\xc3\xa9 \xe2\x80\xa8 \xe2\x80\xa9 \xf0\x9f\x98\x80";
    assert_string_equal(member_text(&m, false),
                        "{\"id\":1,\"peerURLs\":null,\"name\":\"caf\xc3\xa9 "
                        "\\u2028 \\u2029 \xf0\x9f\x98\x80\"}");
    /* Invalid: a lone continuation, an overlong '/', a surrogate, a cut
     * sequence; each bad byte is one \ufffd. */
    m.name = "\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82";
    assert_string_equal(member_text(&m, false),
                        "{\"id\":1,\"peerURLs\":null,\"name\":\"\\ufffd|"
                        "\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd"
                        "\"}");
}

static void test_members_json(void **state)
{
    (void)state;
    static const char *const u3[] = {"http://c:3"};
    static const char *const u1[] = {"http://a:1"};
    struct rafthttp_member ms[3] = {
        {.id = 30, .peer_urls = u3, .n_peer_urls = 1},
        {.id = 10, .peer_urls = u1, .n_peer_urls = 1, .name = "a"},
        {.id = 20},
    };
    char buf[512];
    size_t len = 0;
    assert_int_equal(rafthttp_members_json(ms, 3, buf, sizeof(buf), &len), 0);
    assert_string_equal(buf, "[{\"id\":10,\"peerURLs\":[\"http://a:1\"],"
                             "\"name\":\"a\"},{\"id\":20,\"peerURLs\":null},"
                             "{\"id\":30,\"peerURLs\":[\"http://c:3\"]}]\n");
    assert_int_equal(len, strlen(buf));
    /* The size, asked with no buffer; a buffer one short. */
    size_t need = 0;
    assert_int_equal(rafthttp_members_json(ms, 3, NULL, 0, &need),
                     RAFTHTTP_ETOOBIG);
    assert_int_equal(need, len);
    assert_int_equal(rafthttp_members_json(ms, 3, buf, need, &need),
                     RAFTHTTP_ETOOBIG);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "members_json: cap 111, the text needs 111 and a NUL");
    size_t none = 0;
    assert_int_equal(rafthttp_members_json(NULL, 0, buf, sizeof(buf), &none),
                     0);
    assert_string_equal(buf, "null\n");
    static const char *const with_null[] = {"http://a:1", NULL};
    ms[2].client_urls = with_null;
    ms[2].n_client_urls = 2;
    assert_int_equal(rafthttp_members_json(ms, 3, buf, sizeof(buf), &len),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "members_json: ms[2]->client_urls holds a NULL "
                        "string");
    assert_int_equal(rafthttp_members_json(NULL, 1, buf, sizeof(buf), &len),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "members_json: input NULL");
}

/* ------------------------------------------------------------ parsing */

static void test_member_parse(void **state)
{
    (void)state;
    const char *json =
        " {\"ID\":5582299463101008745, \"peerurls\" : "
        "[\"http://10.0.0.4:2380\","
        "null], \"name\":\"in\\u0066ra\\/4\", \"extra\":{\"a\":[1,2.5e3,{}]},"
        "\"isLearner\":true,\"clientURLs\":null,\"isPromote\":true} ";
    struct rafthttp_member m;
    bool promote = false;
    char scratch[256];
    assert_int_equal(rafthttp_member_parse(json, strlen(json), &m, &promote,
                                           scratch, sizeof(scratch)),
                     0);
    assert_int_equal(m.id, 5582299463101008745u);
    assert_int_equal(m.n_peer_urls, 2);
    assert_string_equal(m.peer_urls[0], "http://10.0.0.4:2380");
    assert_string_equal(m.peer_urls[1], ""); /* null element */
    assert_string_equal(m.name, "infra/4");
    assert_true(m.is_learner);
    assert_null(m.client_urls);
    assert_true(promote);
    /* What we write reads back the same. */
    char text[512];
    size_t len;
    assert_int_equal(rafthttp_member_json(&m, true, text, sizeof(text), &len),
                     0);
    struct rafthttp_member again;
    char scratch2[256];
    assert_int_equal(rafthttp_member_parse(text, len, &again, NULL, scratch2,
                                           sizeof(scratch2)),
                     0);
    assert_int_equal(again.id, m.id);
    assert_string_equal(again.name, m.name);
    assert_int_equal(again.n_peer_urls, 2);
}

static void test_member_parse_strings(void **state)
{
    (void)state;
    /* A surrogate pair joined, lone surrogates and bad UTF-8 as U+FFFD. */
    const char *json = "{\"name\":\"\\ud83d\\ude00|\\ud800|\\udc00x|\x80|"
                       "\\u00e9\\u2028\"}";
    struct rafthttp_member m;
    char scratch[128];
    assert_int_equal(rafthttp_member_parse(json, strlen(json), &m, NULL,
                                           scratch, sizeof(scratch)),
                     0);
    assert_string_equal(m.name, "\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbdx|"
                                "\xef\xbf\xbd|\xc3\xa9\xe2\x80\xa8");
    /* An empty list is there, with no strings. */
    json = "{\"peerURLs\":[]}";
    assert_int_equal(rafthttp_member_parse(json, strlen(json), &m, NULL,
                                           scratch, sizeof(scratch)),
                     0);
    assert_non_null(m.peer_urls);
    assert_int_equal(m.n_peer_urls, 0);
}

struct bad_json {
    const char *json;
    const char *error;
};

static void test_member_parse_refusals(void **state)
{
    (void)state;
    static const struct bad_json bad[] = {
        {"", "member_parse: at byte 0: expected an object"},
        {"[]", "member_parse: at byte 0: expected an object"},
        {"null", "member_parse: at byte 0: expected an object"},
        {"{\"id\":-1}", "member_parse: at byte 6: expected an unsigned "
                        "64-bit integer"},
        {"{\"id\":1.0}", "member_parse: at byte 6: expected an unsigned "
                         "64-bit integer"},
        {"{\"id\":18446744073709551616}",
         "member_parse: at byte 6: expected an unsigned 64-bit integer"},
        {"{\"id\":\"1\"}", "member_parse: at byte 6: expected a number"},
        {"{\"id\":01}", "member_parse: at byte 7: expected , or }"},
        {"{\"name\":5}", "member_parse: at byte 8: expected a string"},
        {"{\"isLearner\":1}",
         "member_parse: at byte 13: expected true or false"},
        {"{\"peerURLs\":\"x\"}", "member_parse: at byte 12: expected an array"},
        {"{\"peerURLs\":[1]}", "member_parse: at byte 13: expected a string"},
        {"{\"id\":1,}", "member_parse: at byte 8: expected a string"},
        {"{\"id\":1} x", "member_parse: at byte 9: expected the end of the "
                         "text"},
        {"{\"name\":\"a\nb\"}",
         "member_parse: at byte 10: control byte in a string"},
        {"{\"name\":\"\\x\"}", "member_parse: at byte 11: expected an escape"},
        {"{\"name\":\"\\u12\"}",
         "member_parse: at byte 11: expected four hex digits"},
        {"{\"name\":\"abc", "member_parse: at byte 12: unterminated string"},
        {"{\"a\":tru}", "member_parse: at byte 5: expected true or false"},
        {"{\"a\" 1}", "member_parse: at byte 5: expected :"},
    };
    char scratch[256];
    struct rafthttp_member m;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rv = rafthttp_member_parse(bad[i].json, strlen(bad[i].json), &m,
                                       NULL, scratch, sizeof(scratch));
        assert_int_equal(rv, RAFTHTTP_EPROTO);
        assert_string_equal(rafthttp_transport_errmsg(NULL), bad[i].error);
    }
    /* Hostile nesting in an unknown key stops at the depth limit. */
    char deep[400];
    int at = snprintf(deep, sizeof(deep), "{\"x\":");
    for (int i = 0; i < 100; i++) {
        deep[at++] = '[';
    }
    deep[at] = '\0';
    assert_int_equal(rafthttp_member_parse(deep, strlen(deep), &m, NULL,
                                           scratch, sizeof(scratch)),
                     RAFTHTTP_EPROTO);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "member_parse: at byte 69: nested too deep");
    /* Scratch too small for the strings. */
    const char *json = "{\"name\":\"a name longer than eight\"}";
    assert_int_equal(
        rafthttp_member_parse(json, strlen(json), &m, NULL, scratch, 8),
        RAFTHTTP_ETOOBIG);
    assert_int_equal(rafthttp_member_parse(json, strlen(json), NULL, NULL,
                                           scratch, sizeof(scratch)),
                     RAFTHTTP_EINVAL);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "member_parse: output NULL");
}

static void test_members_parse(void **state)
{
    (void)state;
    static const char *const u3[] = {"http://c:3"};
    struct rafthttp_member in[3] = {
        {.id = 3, .peer_urls = u3, .n_peer_urls = 1},
        {.id = 1, .name = "one"},
        {.id = 2, .is_learner = true},
    };
    char text[512];
    size_t len;
    assert_int_equal(rafthttp_members_json(in, 3, text, sizeof(text), &len), 0);
    struct rafthttp_member out[3];
    size_t n = 0;
    char scratch[256];
    assert_int_equal(
        rafthttp_members_parse(text, len, out, 3, &n, scratch, sizeof(scratch)),
        0);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].id, 1);
    assert_string_equal(out[0].name, "one");
    assert_true(out[1].is_learner);
    assert_string_equal(out[2].peer_urls[0], "http://c:3");
    assert_int_equal(
        rafthttp_members_parse(text, len, out, 2, &n, scratch, sizeof(scratch)),
        RAFTHTTP_ETOOBIG);
    assert_int_equal(n, 3);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "members_parse: 3 members, cap 2");
    assert_int_equal(rafthttp_members_parse("null\n", 5, out, 3, &n, scratch,
                                            sizeof(scratch)),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(
        rafthttp_members_parse("[{}", 3, out, 3, &n, scratch, sizeof(scratch)),
        RAFTHTTP_EPROTO);
    assert_string_equal(rafthttp_transport_errmsg(NULL),
                        "members_parse: at byte 3: expected , or ]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_change_bytes),
        cmocka_unit_test(test_conf_change_round_trip),
        cmocka_unit_test(test_conf_change_refusals),
        cmocka_unit_test(test_conf_change_v2),
        cmocka_unit_test(test_member_json_fields),
        cmocka_unit_test(test_member_json_escaping),
        cmocka_unit_test(test_members_json),
        cmocka_unit_test(test_member_parse),
        cmocka_unit_test(test_member_parse_strings),
        cmocka_unit_test(test_member_parse_refusals),
        cmocka_unit_test(test_members_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
