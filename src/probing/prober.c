// SPDX-License-Identifier: Apache-2.0
/*
 * Probing: etcd's peer health probe (github.com/xiang90/probing, wired up
 * by rafthttp's probing_status.go), without the goroutines. The client
 * adapter owns the HTTP GET and the clocks, the probe driver
 * (probe_driver.c) the timing; this file owns the arithmetic, so it can be
 * checked against the Go code number for number.
 *
 * Happy path. Every RH_PROBE_INTERVAL_MS (rh_probe_due) the transport GETs
 * <endpoints[pinned]>/raft/probing and hands the body to rh_probe_parse.
 * An answer {"OK":true,"Now":...} goes to rh_probe_record_ok with the
 * measured round trip, which folds it into the smoothed RTT and the clock
 * difference exactly as status.record() does: in integer nanoseconds,
 * srtt = Duration(0.875 * srtt + 0.125 * rtt) truncated toward zero, with
 * srtt starting at 0 (so the first sample gives 0.125 * rtt, not rtt, as
 * in Go), then clockdiff = local - remote - srtt / 2. A monitor
 * (rh_probe_monitor) wakes 5 s after init, then every 5 s while unhealthy
 * and every 30 s while healthy, as monitorProbingStatus does.
 *
 * Failure modes:
 * 1. No answer, a non-200 status, an undecodable body, or OK:false: the
 *    transport calls rh_probe_record_fail, which counts a loss, marks the
 *    peer unhealthy and pins the next endpoint ((pinned + 1) % n). srtt
 *    and clockdiff keep their last values, as in Go.
 * 2. A body that is not {"OK":bool,"Now":"<RFC 3339>"}: rh_probe_parse
 *    returns RAFTHTTP_EPROTO and reads no byte past len. Like Go, it
 *    matches member names without regard to case and steps over unknown
 *    members (which must still be valid JSON, at most 32 deep). It is
 *    stricter than Go 1.19's decoder, harmlessly for etcd's own server,
 *    which never sends these: both fields are required, anything but white
 *    space after the object is refused, and the time must be exactly
 *    YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|+hh:mm|-hh:mm) with every field in
 *    range (Go 1.19 also takes one-digit hours, ',' before the fraction,
 *    more than 9 digits, and offsets such as +24:00 or -11:99).
 * 3. A remote time outside int64 nanoseconds (years before 1677 or after
 *    2262) is refused rather than wrapped as Go's UnixNano would.
 *
 * The monitor's decisions, and where they differ from etcd on purpose:
 * RH_PROBE_OBSERVE_RTT only once a probe has succeeded (etcd also records
 * a meaningless 0 before that), and RH_PROBE_WARN_DRIFT on |clockdiff| above
 * 1 s (etcd looks only at a positive difference, so it never warns about
 * a peer whose clock runs ahead).
 */
#include <string.h>

#include "prober.h"

#define NS_PER_S INT64_C(1000000000)

/* probing's weight factor (alpha in status.go). */
#define PROBE_ALPHA 0.125

void rh_probe_init(struct rh_probe_status *st, int64_t now_ms)
{
    memset(st, 0, sizeof(*st));
    st->next_probe_ms = now_ms + RH_PROBE_INTERVAL_MS;
    st->next_monitor_ms = now_ms + RH_PROBE_MONITOR_UNHEALTHY_MS;
}

bool rh_probe_due(struct rh_probe_status *st, int64_t now_ms)
{
    if (now_ms < st->next_probe_ms) {
        return false;
    }
    int64_t missed = (now_ms - st->next_probe_ms) / RH_PROBE_INTERVAL_MS;
    st->next_probe_ms += (missed + 1) * RH_PROBE_INTERVAL_MS;
    return true;
}

/* ---------------------------------------------------------- arithmetic */

static int64_t sat_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b) {
        return INT64_MAX;
    }
    if (b > 0 && a < INT64_MIN + b) {
        return INT64_MIN;
    }
    return a - b;
}

/* Go's time.Duration(f): truncation toward zero, clamped (never UB). */
static int64_t duration_from_float(double f)
{
    if (f != f) {
        return 0;
    }
    if (f >= 9223372036854775807.0) {
        return INT64_MAX;
    }
    if (f <= -9223372036854775808.0) {
        return INT64_MIN;
    }
    return (int64_t)f;
}

/* Go's Duration.Seconds(): whole seconds plus the rest, kept apart. */
static double duration_seconds(int64_t d)
{
    int64_t sec = d / NS_PER_S;
    int64_t nsec = d % NS_PER_S;
    return (double)sec + (double)nsec / 1e9;
}

void rh_probe_record_ok(struct rh_probe_status *st, double rtt_s,
                        int64_t remote_ns, int64_t local_ns)
{
    /* time.Since(start) is whole nanoseconds in Go. */
    int64_t rtt_ns = rtt_s > 0 ? duration_from_float(rtt_s * 1e9 + 0.5) : 0;
    st->total++;
    st->healthy = true;
    st->ever_ok = true;
    /*
     * status.record(): srtt = Duration((1-alpha)*srtt + alpha*rtt), with
     * srtt starting at 0. The products get statements of their own so that
     * no compiler fuses them into an FMA, which Go's amd64 code does not.
     */
    double kept = (1 - PROBE_ALPHA) * (double)st->srtt_ns;
    double added = PROBE_ALPHA * (double)rtt_ns;
    st->srtt_ns = duration_from_float(kept + added);
    /* Duration / 2 truncates toward zero, as st->srtt_ns / 2 does. */
    st->clock_diff_ns = sat_sub(sat_sub(local_ns, remote_ns), st->srtt_ns / 2);
    st->srtt_s = duration_seconds(st->srtt_ns);
    st->clock_diff_s = duration_seconds(st->clock_diff_ns);
}

void rh_probe_record_fail(struct rh_probe_status *st, size_t n_endpoints)
{
    st->total++;
    st->loss++;
    st->healthy = false;
    st->pinned = n_endpoints > 0 ? (st->pinned + 1) % n_endpoints : 0;
}

int rh_probe_monitor(struct rh_probe_status *st, int64_t now_ms)
{
    if (now_ms < st->next_monitor_ms) {
        return 0;
    }
    const int64_t max_diff =
        (int64_t)(RH_PROBE_MAX_CLOCK_DIFF_S * (double)NS_PER_S);
    int flags = 0;
    if (st->ever_ok) {
        flags |= RH_PROBE_OBSERVE_RTT;
    }
    if (!st->healthy) {
        flags |= RH_PROBE_WARN_UNHEALTHY;
    }
    if (st->clock_diff_ns > max_diff || st->clock_diff_ns < -max_diff) {
        flags |= RH_PROBE_WARN_DRIFT;
    }
    /* Go restarts time.After from the wake-up, not from the due time. */
    st->next_monitor_ms =
        now_ms + (st->healthy ? RH_PROBE_MONITOR_HEALTHY_MS
                              : RH_PROBE_MONITOR_UNHEALTHY_MS);
    return flags;
}

/* --------------------------------------------------------------- JSON */

/* A read position in a body that is not NUL-terminated. */
struct cursor {
    const char *p;
    const char *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static bool eat(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* ASCII classes, whatever the locale says. */
static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_hex(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool is_alnum(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* An escape after '\\' at c, as JSON allows them. */
static bool scan_escape(struct cursor *c)
{
    if (c->p == c->end) {
        return false;
    }
    char ch = *c->p++;
    if (ch != 'u') {
        return strchr("\"\\/bfnrt", ch) != NULL && ch != '\0';
    }
    for (int i = 0; i < 4; i++, c->p++) {
        if (c->p == c->end || !is_hex(*c->p)) {
            return false;
        }
    }
    return true;
}

/*
 * A JSON string at c, raw (escapes are checked, not decoded): *s and *n
 * get what lies between the quotes.
 */
static bool scan_string(struct cursor *c, const char **s, size_t *n)
{
    if (!eat(c, '"')) {
        return false;
    }
    const char *start = c->p;
    while (c->p < c->end && *c->p != '"') {
        if ((unsigned char)*c->p < 0x20) {
            return false;
        }
        if (*c->p++ == '\\' && !scan_escape(c)) {
            return false;
        }
    }
    if (c->p == c->end) {
        return false;
    }
    *s = start;
    *n = (size_t)(c->p - start);
    c->p++;
    return true;
}

static bool eat_word(struct cursor *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return false;
    }
    c->p += n;
    return c->p == c->end || !is_alnum(*c->p);
}

static bool eat_digits(struct cursor *c)
{
    const char *start = c->p;
    while (c->p < c->end && is_digit(*c->p)) {
        c->p++;
    }
    return c->p > start;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct cursor *c)
{
    if (c->p < c->end && *c->p == '-') {
        c->p++;
    }
    if (c->p < c->end && *c->p == '0') {
        c->p++;
    } else if (!eat_digits(c)) {
        return false;
    }
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!eat_digits(c)) {
            return false;
        }
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }
        return eat_digits(c);
    }
    return true;
}

/* Deeper values than this in a member we skip are refused. */
#define SKIP_MAX_DEPTH 32

static bool skip_value(struct cursor *c, int depth);

/* An object or array at c, checked all the way through. */
static bool skip_container(struct cursor *c, int depth)
{
    bool object = *c->p == '{';
    char close = object ? '}' : ']';
    const char *key;
    size_t klen;
    c->p++;
    if (eat(c, close)) {
        return true;
    }
    do {
        if (object && (!scan_string(c, &key, &klen) || !eat(c, ':'))) {
            return false;
        }
        if (!skip_value(c, depth + 1)) {
            return false;
        }
    } while (eat(c, ','));
    return eat(c, close);
}

/* Steps over the value of a member we do not know, as Go ignores it. */
static bool skip_value(struct cursor *c, int depth)
{
    const char *s;
    size_t n;
    skip_ws(c);
    if (c->p == c->end || depth > SKIP_MAX_DEPTH) {
        return false;
    }
    switch (*c->p) {
    case '"':
        return scan_string(c, &s, &n);
    case '{':
    case '[':
        return skip_container(c, depth);
    case 't':
        return eat_word(c, "true");
    case 'f':
        return eat_word(c, "false");
    case 'n':
        return eat_word(c, "null");
    default:
        return scan_number(c);
    }
}

/* ---------------------------------------------------------- RFC 3339 */

/* n decimal digits at s into *v. */
static bool parse_digits(const char *s, size_t n, int *v)
{
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return false;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = m <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS" into seconds since the epoch (local to its zone). */
static bool parse_date_time(const char *s, int64_t *secs)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':') {
        return false;
    }
    if (!parse_digits(s, 4, &y) || !parse_digits(s + 5, 2, &mo) ||
        !parse_digits(s + 8, 2, &d) || !parse_digits(s + 11, 2, &h) ||
        !parse_digits(s + 14, 2, &mi) || !parse_digits(s + 17, 2, &sec)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) {
        return false;
    }
    if (d > mdays[mo - 1] + (mo == 2 && is_leap(y))) {
        return false;
    }
    *secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

/* ".d{1,9}" at *s into nanoseconds; nothing there is 0. */
static bool parse_fraction(const char **s, const char *end, int64_t *frac)
{
    *frac = 0;
    if (*s == end || **s != '.') {
        return true;
    }
    (*s)++;
    int64_t scale = NS_PER_S;
    size_t n = 0;
    while (*s < end && is_digit(**s)) {
        if (++n > 9) {
            return false;
        }
        scale /= 10;
        *frac += (**s - '0') * scale;
        (*s)++;
    }
    return n > 0;
}

/* "Z" or "+hh:mm" / "-hh:mm", to the end, into seconds east of UTC. */
static bool parse_zone(const char *s, const char *end, int64_t *offset)
{
    size_t n = (size_t)(end - s);
    *offset = 0;
    if (n == 1 && s[0] == 'Z') {
        return true;
    }
    int h, m;
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
        !parse_digits(s + 1, 2, &h) || !parse_digits(s + 4, 2, &m) || h > 23 ||
        m > 59) {
        return false;
    }
    *offset = (s[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
    return true;
}

/* secs * 1e9 + frac (0 <= frac < 1e9) if it fits in int64. */
static bool unix_ns(int64_t secs, int64_t frac, int64_t *ns)
{
    if (secs < 0 && frac > 0) {
        secs += 1; /* keeps secs * 1e9 in range for the earliest instant */
        frac -= NS_PER_S;
    }
    if (secs > INT64_MAX / NS_PER_S || secs < INT64_MIN / NS_PER_S) {
        return false;
    }
    int64_t base = secs * NS_PER_S;
    if ((frac > 0 && base > INT64_MAX - frac) ||
        (frac < 0 && base < INT64_MIN - frac)) {
        return false;
    }
    *ns = base + frac;
    return true;
}

/* Go's time.Time JSON text (RFC 3339, Nano precision) to Unix ns. */
static bool parse_rfc3339(const char *s, size_t n, int64_t *ns)
{
    int64_t secs, frac, offset;
    const char *end = s + n;
    if (n < 20 || !parse_date_time(s, &secs)) {
        return false;
    }
    const char *p = s + 19;
    if (!parse_fraction(&p, end, &frac) || !parse_zone(p, end, &offset)) {
        return false;
    }
    return unix_ns(secs - offset, frac, ns);
}

/* ------------------------------------------------------------ the body */

static bool key_is(const char *key, size_t n, const char *name)
{
    if (n != strlen(name)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char a = key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] + 32) : key[i];
        char b =
            name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
        if (a != b) {
            return false;
        }
    }
    return true;
}

/* The value of one member; *seen collects which of OK (1), Now (2) came. */
static bool parse_member(struct cursor *c, bool *ok, int64_t *remote_ns,
                         int *seen)
{
    const char *key, *val;
    size_t klen, vlen;
    if (!scan_string(c, &key, &klen) || !eat(c, ':')) {
        return false;
    }
    if (key_is(key, klen, "OK")) {
        *seen |= 1;
        *ok = eat_word(c, "true");
        return *ok || eat_word(c, "false");
    }
    if (key_is(key, klen, "Now")) {
        *seen |= 2;
        return scan_string(c, &val, &vlen) &&
               parse_rfc3339(val, vlen, remote_ns);
    }
    return skip_value(c, 0);
}

int rh_probe_parse(const char *body, size_t len, bool *ok, int64_t *remote_ns)
{
    if (body == NULL) {
        return RAFTHTTP_EPROTO;
    }
    struct cursor c = {body, body + len};
    bool got_ok = false;
    int64_t got_ns = 0;
    int seen = 0;
    if (!eat(&c, '{')) {
        return RAFTHTTP_EPROTO;
    }
    do {
        if (!parse_member(&c, &got_ok, &got_ns, &seen)) {
            return RAFTHTTP_EPROTO;
        }
    } while (eat(&c, ','));
    if (!eat(&c, '}')) {
        return RAFTHTTP_EPROTO;
    }
    skip_ws(&c);
    if (c.p != c.end || seen != 3) {
        return RAFTHTTP_EPROTO;
    }
    *ok = got_ok;
    *remote_ns = got_ns;
    return 0;
}
