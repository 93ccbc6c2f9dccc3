/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stream: etcd's long-lived streams, everything but the sockets.
 *
 * - The two framings (msg_codec.c, msgappv2_codec.c). The "message"
 *   stream: each frame is BE64 length + Message bytes. The "msgapp"
 *   stream in msgappv2 encoding: one type byte per record; 0x00 link
 *   heartbeat, 0x01 AppEntries (a MsgApp whose header fields are implied
 *   by the connection's state), 0x02 a full Message.
 * - A writer's queues (stream_writer.c): what we send on the peer's
 *   stream, urgent frames first.
 * - The stream driver (stream_driver.c): a reader's life (dial, backoff,
 *   read timeout, what an answer and an end mean) and a writer's link
 *   heartbeats.
 *
 * Encoders append to an rh_buf and keep the per-connection state the format
 * needs; decoders are incremental: bytes may be fed split at any point, and
 * every length a peer declares is checked against a limit before anything
 * is allocated for it (memory grows only as bytes actually arrive).
 *
 * Threads and ownership: an encoder or decoder belongs to one connection and
 * is used by one thread; writers and readers belong to a peer and are
 * guarded by the transport lock. A decoded struct rh_msg belongs to the
 * caller, who frees it with rh_msg_free. After a decoder returns an error
 * it must not be fed again: the connection it reads is broken and is to be
 * dropped.
 */
#ifndef RH_STREAM_H
#define RH_STREAM_H

#include "../common/common.h"
#include "../raftpb/raftpb.h"

/*
 * A decoder's buffer that grew past this is freed after its frame or
 * record, so one large message does not pin memory for the connection.
 */
#define RH_KEEP_BUF_BYTES (64 * 1024)

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

/* Bytes rh_msgappv2_encode would append for m, without encoding it. */
size_t rh_msgappv2_record_size(const struct rh_msgappv2_encoder *e,
                               const struct rafthttp_message *m);

struct rh_msgappv2_decoder {
    const struct rafthttp_allocator *alloc; /* borrowed */
    uint64_t local;  /* To of rebuilt messages: this member */
    uint64_t remote; /* From of rebuilt messages: the writer */
    size_t limit;    /* largest record accepted, all its bytes counted */
    uint64_t term;   /* connection state, as the encoder's */
    uint64_t index;
    int step;                 /* where in a record we are (decoder.c) */
    struct rh_be64_reader be; /* a BE64 split across feeds */
    uint64_t entries_left;    /* AppEntries: entries still to come */
    size_t need;              /* bytes of the protobuf being gathered */
    size_t record_bytes;      /* bytes of this record so far */
    struct rh_buf part;       /* a protobuf split across feeds */
    struct rh_msg *msg;       /* AppEntries message being built */
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

/* --------------------------------------------------------- stream types */

/*
 * etcd's two stream types, one row each: the word in the path
 * (/raft/stream/<word>/<sender>) and the name etcd gives the stream in its
 * logs and in a peer's status ("stream MsgApp v2").
 */
#define RH_STREAM_TYPE_MAP(X)                                                  \
    X(MSGAPPV2, "msgapp", "stream MsgApp v2")                                  \
    X(MESSAGE, "message", "stream Message")

enum rh_stream_type {
#define RH_STREAM_ENUM(name, word, source) RH_STREAM_##name,
    RH_STREAM_TYPE_MAP(RH_STREAM_ENUM)
#undef RH_STREAM_ENUM
        RH_STREAM_TYPES /* how many */
};

const char *rh_stream_word(enum rh_stream_type type);
const char *rh_stream_source(enum rh_stream_type type);
/* The type whose path word is word[0..len), or RH_STREAM_TYPES. */
enum rh_stream_type rh_stream_type_of_word(const char *word, size_t len);

/* ------------------------------------------------------- stream writer */

/* One segment of a byte queue: whole records, written out from head. */
struct rh_byteq_seg {
    struct rh_byteq_seg *next;
    struct rh_buf buf;
    size_t head; /* bytes of buf already written out */
};

/*
 * Bytes waiting to be written, consumed from the front: a list of
 * segments, so a deep queue of large records is never moved or
 * reallocated as a whole (each record lies in one segment).
 */
struct rh_byteq {
    struct rh_byteq_seg *first;
    struct rh_byteq_seg *last;
    struct rh_byteq_seg *spares; /* drained segments kept for reuse */
    size_t n_spares;
    size_t len; /* bytes queued over all segments */
    const struct rafthttp_allocator *alloc;
    size_t limit; /* largest record */
};

/* The server's response that a writer feeds (src/transport/). */
struct rh_stream_resp;

/*
 * What we write to one peer on one stream type: the queues behind the
 * response of the peer's GET /raft/stream/<type>/<our id>.
 *
 * The message stream keeps two queues: urgent (votes, heartbeats,
 * responses) and bulk (MsgApp, MsgProp); pull() takes urgent frames first
 * but never cuts into a bulk frame it has started. The msgapp stream keeps
 * only bulk, in order, with the msgappv2 encoder state of the connection.
 *
 * Owned by the peer; guarded by the transport lock.
 */
struct rh_stream_writer {
    enum rh_stream_type type;
    uint64_t gen;                /* attached connection's number; 0: none */
    struct rh_stream_resp *conn; /* the server's response, while attached */
    bool suspended;              /* the server parked conn: nothing to send */
    struct rh_byteq urgent;      /* message stream only */
    struct rh_byteq bulk;
    size_t bulk_frame_left; /* bytes of a started bulk frame to go */
    struct rh_msgappv2_encoder enc;
    int64_t last_write_ms; /* when pull last returned bytes */
};

void rh_stream_writer_init(struct rh_stream_writer *w, enum rh_stream_type t,
                           const struct rafthttp_allocator *a, size_t limit);
void rh_stream_writer_close(struct rh_stream_writer *w);
/* An idle writer gives back the spare queue segments beyond one. */
void rh_stream_writer_trim(struct rh_stream_writer *w);

size_t rh_stream_writer_queued(const struct rh_stream_writer *w);

/*
 * Starts a new connection: forgets what was queued for the old one (its
 * msgappv2 state does not carry over) and returns how many bytes that was.
 */
size_t rh_stream_writer_attach(struct rh_stream_writer *w,
                               struct rh_stream_resp *conn, uint64_t gen,
                               int64_t now_ms);
/* Ends the connection; returns the bytes that were still queued. */
size_t rh_stream_writer_detach(struct rh_stream_writer *w);

/*
 * Queues m (encoded) if at most room bytes are needed. Returns 0 with
 * *added set, RAFTHTTP_ETOOBIG (no room; nothing changes), RAFTHTTP_EINVAL
 * (not for this stream) or RAFTHTTP_ENOMEM.
 */
int rh_stream_writer_push(struct rh_stream_writer *w,
                          const struct rafthttp_allocator *a,
                          const struct rafthttp_message *m, size_t room,
                          size_t *added);

/* Queues a link heartbeat if nothing is queued. Returns bytes added. */
size_t rh_stream_writer_heartbeat(struct rh_stream_writer *w,
                                  const struct rafthttp_allocator *a);

/*
 * Copies up to max queued bytes to buf, urgent first. Returns the count;
 * 0 means nothing is queued, and the writer is then suspended: the server
 * parks the response until rh_stream_writer_wake.
 */
size_t rh_stream_writer_pull(struct rh_stream_writer *w, uint8_t *buf,
                             size_t max, int64_t now_ms);

/* ------------------------------------------------------- stream reader */

enum rh_reader_state {
    RH_READER_IDLE,    /* no GET: the next dial is due at next_dial_ms */
    RH_READER_DIALING, /* our GET is out; no usable answer yet */
    RH_READER_UP       /* 200 with a valid X-Server-Version: decoding */
};

/* The client's transfer behind a reader (src/transport/). */
struct rh_xfer;

/*
 * Our GET to one peer for one stream type, and what decodes its body.
 * Owned by the peer; guarded by the transport lock.
 */
struct rh_stream_reader {
    enum rh_stream_type type;
    enum rh_reader_state state;
    struct rh_xfer *xfer; /* the client's transfer while not idle */
    int64_t next_dial_ms; /* no dial before this */
    unsigned backoff_ms;  /* wait after the next failure */
    int64_t last_byte_ms; /* for the read timeout */
    struct rh_msg_decoder msg_dec;
    struct rh_msgappv2_decoder app_dec;
};

void rh_stream_reader_init(struct rh_stream_reader *r, enum rh_stream_type t,
                           unsigned backoff_min_ms);
/* Frees the decoders' buffers; the reader is idle afterwards. */
void rh_stream_reader_close(struct rh_stream_reader *r);

/*
 * The wait before the next dial after a failure: the current backoff with
 * jitter (between half and all of it, never below min), after which the
 * backoff doubles up to max.
 */
unsigned rh_backoff_next(unsigned *backoff_ms, unsigned min_ms, unsigned max_ms,
                         uint64_t *rng);

/* ------------------------------------------------------- stream driver */

/*
 * The life of a stream (stream_driver.c): events in, decisions out. Every
 * function runs under the transport lock and none does I/O; the caller
 * (the peer driver) applies what they decide to the peer, and the
 * adapters dial, abort and unpark.
 */

/* What a reader's timer asks for. */
enum rh_reader_todo {
    RH_READER_WAIT, /* nothing now */
    RH_READER_DIAL, /* start the GET, then rh_stream_dialing or _dial_failed */
    RH_READER_ABORT /* end the GET: the read timeout passed */
};

/* The abort reason of a reader whose peer fell silent. */
extern const char rh_stream_read_timeout_why[];

/* The reader's timer at now; *due_ms is when it wants to be asked again. */
enum rh_reader_todo rh_stream_reader_tick(struct rh_stream_reader *r,
                                          const struct rafthttp_config *cfg,
                                          int64_t now_ms, int64_t *due_ms);

/* The GET is out: the reader waits for its answer. */
void rh_stream_dialing(struct rh_stream_reader *r, struct rh_xfer *xfer);

/* The GET could not start: returns when the next dial is due. */
int64_t rh_stream_dial_failed(struct rh_stream_reader *r,
                              const struct rafthttp_config *cfg, uint64_t *rng,
                              int64_t now_ms);

/*
 * The answer's head came: the stream is up on a 200 with a valid
 * X-Server-Version (returns true: the peer is active), else the reader
 * waits for the end. local and remote are the To and From of rebuilt
 * msgappv2 messages.
 */
bool rh_stream_head(struct rh_stream_reader *r,
                    const struct rafthttp_allocator *a,
                    const struct rafthttp_config *cfg, uint64_t local,
                    uint64_t remote, long status, bool version_ok,
                    int64_t now_ms);

/*
 * Body bytes of an up stream: takes bytes from p[0..n) until one message
 * is complete or the input ends, as the decoders' feed (*used, *out).
 * Errors (the stream is to be closed): RAFTHTTP_EPROTO, RAFTHTTP_ETOOBIG,
 * RAFTHTTP_ENOMEM.
 */
int rh_stream_feed(struct rh_stream_reader *r, const uint8_t *p, size_t n,
                   int64_t now_ms, size_t *used, struct rh_msg **out);

/* How a GET ended, as the client saw it. */
struct rh_stream_end {
    bool transfer_ok;    /* libcurl finished it without error */
    const char *error;   /* libcurl's text when not ok */
    long status;         /* the HTTP status, 0 if none came */
    const char *body;    /* the start of a refusal's body, or "" */
    const char *aborted; /* why we ended it ourselves, or NULL */
    bool malformed;      /* its body did not decode */
    bool bad_version;    /* a 200 without a valid X-Server-Version */
};

/* What an ended GET means for the peer. */
struct rh_stream_failure {
    char why[320]; /* the reason the peer is inactive */
    bool was_up;   /* false: a dial failed (worth a log line) */
    bool removed;  /* 410: the peer says we were removed */
    bool move_url; /* the URL did not work: the picker moves on */
};

/*
 * The GET ended. The reader goes idle and schedules its next dial: after
 * the minimum when an up stream ended cleanly (the peer closed it), after
 * its backoff otherwise. *f says what that means for the peer.
 */
void rh_stream_ended(struct rh_stream_reader *r,
                     const struct rafthttp_config *cfg, uint64_t *rng,
                     const struct rh_stream_end *end, int64_t now_ms,
                     struct rh_stream_failure *f);

/*
 * The peer proved alive (it dialled us, or answered a probe): an idle
 * reader dials at once and its backoff starts over.
 */
void rh_stream_peer_alive(struct rh_stream_reader *r,
                          const struct rafthttp_config *cfg, int64_t now_ms);

/*
 * The writer's timer: a link heartbeat (and trimming of spare segments)
 * after a third of the read timeout without a write. *added is the bytes
 * the heartbeat queued, *wake whether a parked response has bytes again
 * (rh_stream_writer_wake, then unpark it). Returns when it is next due.
 */
int64_t rh_stream_writer_tick(struct rh_stream_writer *w,
                              const struct rafthttp_allocator *a,
                              const struct rafthttp_config *cfg, int64_t now_ms,
                              size_t *added, bool *wake);

/* Marks a suspended writer's response as unparked; true if it was parked. */
bool rh_stream_writer_wake(struct rh_stream_writer *w);

#endif /* RH_STREAM_H */
