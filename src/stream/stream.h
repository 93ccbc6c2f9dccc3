/*
 * stream: the two framings etcd uses on its long-lived stream responses.
 *
 * - The "message" stream: each frame is BE64 length + Message bytes.
 * - The "msgapp" stream in msgappv2 encoding: one type byte per record;
 *   0x00 link heartbeat, 0x01 AppEntries (a MsgApp whose header fields are
 *   implied by the connection's state), 0x02 a full Message.
 *
 * Encoders append to an rh_buf and keep the per-connection state the format
 * needs; decoders are incremental: bytes may be fed split at any point, and
 * every length a peer declares is checked against a limit before anything
 * is allocated for it (memory grows only as bytes actually arrive).
 *
 * Threads and ownership: an encoder or decoder belongs to one connection and
 * is used by one thread. A decoded struct rh_msg belongs to the caller, who
 * frees it with rh_msg_free. After a decoder returns an error it must not be
 * fed again: the connection it reads is broken and is to be dropped.
 */
#ifndef RH_STREAM_H
#define RH_STREAM_H

#include "../common/common.h"
#include "../raftpb/raftpb.h"

/* A link heartbeat: MsgHeartbeat with From and To zero (etcd's test). */
bool rh_is_link_heartbeat(const struct rafthttp_message *m);

/* ------------------------------------------------------ message stream */

/*
 * Appends one frame for m to out. Returns 0, RAFTHTTP_ETOOBIG or
 * RAFTHTTP_ENOMEM; out is unchanged on failure.
 */
int rh_msg_frame_encode(const struct rafthttp_allocator *a,
                        const struct rafthttp_message *m, struct rh_buf *out);

struct rh_msg_decoder {
    const struct rafthttp_allocator *alloc; /* borrowed */
    size_t limit;                           /* largest frame body accepted */
    struct rh_be64_reader len_reader;       /* a length split across feeds */
    bool have_len;                          /* len_reader is done */
    size_t need;                            /* body length of this frame */
    struct rh_buf body;                     /* body bytes gathered so far */
};

void rh_msg_decoder_init(struct rh_msg_decoder *d,
                         const struct rafthttp_allocator *a, size_t limit);
void rh_msg_decoder_close(struct rh_msg_decoder *d);

/*
 * Takes bytes from p[0..n) until one frame is complete or the input ends,
 * and sets *used to the bytes taken. On 0, *out is the decoded message or
 * NULL if more input is needed (then *used == n). Errors:
 * RAFTHTTP_ETOOBIG (declared length over the limit), RAFTHTTP_EPROTO
 * (frame body is not a Message), RAFTHTTP_ENOMEM.
 */
int rh_msg_decoder_feed(struct rh_msg_decoder *d, const uint8_t *p, size_t n,
                        size_t *used, struct rh_msg **out);

/* True between frames: a stream that ends here ended cleanly. */
bool rh_msg_decoder_idle(const struct rh_msg_decoder *d);

/* --------------------------------------------------------- msgappv2 */

enum {
    RH_MSGAPPV2_LINK_HEARTBEAT = 0x00,
    RH_MSGAPPV2_APP_ENTRIES = 0x01,
    RH_MSGAPPV2_APP = 0x02
};

/* Both sides start every connection at term 0, index 0. */
struct rh_msgappv2_encoder {
    uint64_t term;  /* term of the last MsgApp written */
    uint64_t index; /* index of the last entry the peer holds */
};

void rh_msgappv2_encoder_init(struct rh_msgappv2_encoder *e);

/*
 * Appends the record for m (a MsgApp or a link heartbeat) to out, compact
 * when the connection's state implies m's header, as etcd's encoder does.
 * Returns 0, RAFTHTTP_EINVAL (m is neither), RAFTHTTP_ETOOBIG or
 * RAFTHTTP_ENOMEM; out and the state are unchanged on failure.
 */
int rh_msgappv2_encode(struct rh_msgappv2_encoder *e,
                       const struct rafthttp_allocator *a,
                       const struct rafthttp_message *m, struct rh_buf *out);

struct rh_msgappv2_decoder {
    const struct rafthttp_allocator *alloc; /* borrowed */
    uint64_t local;  /* To of rebuilt messages: this member */
    uint64_t remote; /* From of rebuilt messages: the writer */
    size_t limit;    /* largest record accepted, all its bytes counted */
    uint64_t term;   /* connection state, as the encoder's */
    uint64_t index;
    int step;                     /* where in a record we are (decoder.c) */
    struct rh_be64_reader be;     /* a BE64 split across feeds */
    uint64_t entries_left;        /* AppEntries: entries still to come */
    size_t need;                  /* bytes of the protobuf being gathered */
    size_t record_bytes;          /* bytes of this record so far */
    struct rh_buf part;           /* a protobuf split across feeds */
    struct rh_msg *msg;           /* AppEntries message being built */
};

void rh_msgappv2_decoder_init(struct rh_msgappv2_decoder *d,
                              const struct rafthttp_allocator *a,
                              uint64_t local, uint64_t remote, size_t limit);
void rh_msgappv2_decoder_close(struct rh_msgappv2_decoder *d);

/*
 * As rh_msg_decoder_feed. A link heartbeat record yields a link heartbeat
 * message (see rh_is_link_heartbeat). Errors: RAFTHTTP_EPROTO (unknown
 * record type, malformed protobuf), RAFTHTTP_ETOOBIG, RAFTHTTP_ENOMEM.
 */
int rh_msgappv2_decoder_feed(struct rh_msgappv2_decoder *d, const uint8_t *p,
                             size_t n, size_t *used, struct rh_msg **out);

bool rh_msgappv2_decoder_idle(const struct rh_msgappv2_decoder *d);

#endif /* RH_STREAM_H */
