// SPDX-License-Identifier: Apache-2.0

// gobench runs etcd 3.4.23's own Go rafthttp.Transport (Debian's
// golang-etcd-server-dev) under the closed-loop workload of our C tool
// rafthttp-bench, with the same flags, messages and JSON keys (impl "go"),
// so the two can be compared side by side.
//
// usage: gobench [--mode stream|rtt|pipeline|snapshot] [--size BYTES]
//
//	[--count N] [--window N] [--json] [--csv]
//	[--role send|recv --listen URL --peer-url URL
//	 --local-id HEX --peer-id HEX --cluster-id HEX]
//
// Without --peer-url both transports (member 1 sends, member 2 receives)
// run in this process on 127.0.0.1, ports chosen by the OS. With it this
// process is one side and another gobench (or rafthttp-bench) the other.
//
// etcd's transport drops a message silently when a buffer is full (it
// only calls Raft.ReportUnreachable). A closed loop would then wait
// forever, as etcd's BenchmarkSendingMsgApp does; here 5 s without
// progress ends the run: it reports delivered and dropped (sent minus
// delivered) and exits 1. Exit 1 also when a message arrived out of order
// (stream) or twice (pipeline, whose 4 POST connections may reorder), or
// malformed ("bad"), 2 on bad usage. In pipeline mode the window is at
// most 64, etcd's pipeline queue.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/pkg/capnslog"
	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/etcdserver/api/snap"
	stats "go.etcd.io/etcd/etcdserver/api/v2stats"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
	"go.uber.org/zap"
)

const (
	warmups     = 1000             // rtt round trips before the measured ones
	pipelineBuf = 64               // etcd's pipelineBufSize: the most a window can hold
	maxBadShown = 5                // bad MsgApp printed on stderr; the rest only counted
	stallLimit  = 5 * time.Second  // no progress for this long ends a run
	setupLimit  = 60 * time.Second // for the peer to come up
	linger      = time.Second      // the receiver's wait after its last message
	probeWait   = 500 * time.Millisecond
	streamGrace = 300 * time.Millisecond // after the peer is active: both streams
)

// ---------------------------------------------------------------- flags

type config struct {
	mode            string
	size            int64
	count           uint64
	window          uint64
	json, csv       bool
	role            string // "both" (one process), "send" or "recv"
	listen, peerURL string
	localID         uint64
	peerID          uint64
	clusterID       uint64
}

func usage(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gobench: "+format+"\n", a...)
	fmt.Fprintln(os.Stderr, "usage: gobench [--mode stream|rtt|pipeline|snapshot] "+
		"[--size BYTES] [--count N] [--window N] [--json] [--csv]\n"+
		"       [--role send|recv --listen URL --peer-url URL "+
		"[--local-id HEX] [--peer-id HEX] [--cluster-id HEX]]")
	os.Exit(2)
}

// parseID takes an ID in hex as etcd prints it (types.IDFromString), as
// rafthttp-bench does, with its words for a bad one.
func parseID(name, s string, def uint64) uint64 {
	if s == "" {
		return def
	}
	v, err := types.IDFromString(s)
	if err != nil {
		usage("--%s '%s': not a hex ID (1 to 16 hex digits)", name, s)
	}
	if v == 0 {
		usage("--%s '%s': the ID must not be 0", name, s)
	}
	return uint64(v)
}

func parseFlags() config {
	fs := flag.NewFlagSet("gobench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	mode := fs.String("mode", "stream", "")
	size := fs.Int64("size", 64, "")
	count := fs.Uint64("count", 1000000, "")
	window := fs.Uint64("window", 512, "")
	js := fs.Bool("json", false, "")
	csv := fs.Bool("csv", false, "")
	role := fs.String("role", "", "")
	listen := fs.String("listen", "", "")
	peer := fs.String("peer-url", "", "")
	lid := fs.String("local-id", "", "")
	pid := fs.String("peer-id", "", "")
	cid := fs.String("cluster-id", "", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		usage("%v", err)
	}
	if fs.NArg() > 0 {
		usage("unexpected argument %q", fs.Arg(0))
	}
	c := config{mode: *mode, size: *size, count: *count, window: *window,
		json: *js, csv: *csv, role: *role, listen: *listen, peerURL: *peer}
	countSet := false
	fs.Visit(func(f *flag.Flag) { countSet = countSet || f.Name == "count" })
	switch c.mode {
	case "stream", "pipeline", "snapshot":
	case "rtt":
		if !countSet {
			c.count = 100000
		}
	default:
		usage("--mode %q: gobench knows stream, rtt, pipeline and snapshot", c.mode)
	}
	if c.size < 0 || c.window == 0 || (c.count == 0 && c.mode != "snapshot") {
		usage("--size must be >= 0, --window and --count > 0")
	}
	switch {
	case c.peerURL == "" && c.role == "" && c.listen == "":
		c.role = "both"
	case c.peerURL == "" || c.listen == "":
		usage("--role, --listen and --peer-url go together")
	case c.role != "send" && c.role != "recv":
		usage("--role must be send or recv")
	}
	// etcd's pipeline queues 64 messages and drops the next ones (it
	// only calls ReportUnreachable): a larger window would only count
	// drops. As rafthttp-bench does, the sender says so.
	if c.mode == "pipeline" && c.window > pipelineBuf {
		if c.role != "recv" {
			fmt.Fprintf(os.Stderr, "gobench: pipeline %d B: window %d clamped to %d "+
				"(the pipeline queue holds %d messages)\n", c.size, c.window,
				pipelineBuf, pipelineBuf)
		}
		c.window = pipelineBuf
	}
	self, other := uint64(1), uint64(2)
	if c.role == "recv" {
		self, other = 2, 1
	}
	c.localID = parseID("local-id", *lid, self)
	c.peerID = parseID("peer-id", *pid, other)
	c.clusterID = parseID("cluster-id", *cid, 0x1000)
	if c.localID == c.peerID {
		usage("--local-id and --peer-id must differ")
	}
	return c
}

// ------------------------------------------------------------ histogram

// hist records nanoseconds: exact below 256, then 128 sub-buckets per power
// of two (under 0.8% error); max is exact.
type hist struct {
	b   [256 + 56*128]uint64
	n   uint64
	max int64
}

func (h *hist) add(v int64) {
	if v < 0 {
		v = 0
	}
	i := int(v)
	if v >= 256 {
		shift := bits.Len64(uint64(v)) - 8
		i = 256 + (shift-1)*128 + int(v>>uint(shift)) - 128
	}
	h.b[i]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

// percentile returns the nearest-rank q-quantile in microseconds.
func (h *hist) percentile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for i, c := range h.b {
		cum += c
		if cum < rank {
			continue
		}
		v := int64(i)
		if i >= 256 {
			shift := uint((i-256)/128 + 1)
			m := int64((i-256)%128 + 128)
			v = (m<<shift + (m+1)<<shift - 1) / 2
		}
		if v > h.max {
			v = h.max
		}
		return float64(v) / 1e3
	}
	return float64(h.max) / 1e3
}

// ---------------------------------------------------------------- state

var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

// bench is the state of one run, shared by this process's raft cores
// (two in one process: the sender's and the receiver's).
type bench struct {
	cfg  config
	dir  string // snapshot directory (the receiver's)
	mu   sync.Mutex
	cond *sync.Cond

	// stream/pipeline: delivered (one process; receiver) or acked
	// (sender in two processes). Written under mu, read atomically.
	done     uint64
	doneAt   int64 // when done last moved
	sent     uint64
	stalled  bool
	ringT    []int64  // send time of message i at i % window
	ringI    []uint64 // which message the slot holds
	lat      hist
	rx       uint64   // MsgApp the receiver's raft saw
	seen     []uint64 // pipeline: one bit per index the receiver saw
	bad      uint64
	firstRx  int64
	lastRx   int64
	answered uint64 // MsgHeartbeat answered (8-byte context)
	warmAt   int64  // when the last warm-up heartbeat was answered

	hb          chan []byte // MsgHeartbeatResp contexts for the sender
	unreachable uint64      // ReportUnreachable calls

	snapGot   chan struct{} // closed when the receiver's Process saw MsgSnap
	snapOnce  sync.Once
	snapAt    int64
	snapStart int64 // first POST /raft/snapshot seen (receiver)
}

func newBench(cfg config, dir string) *bench {
	b := &bench{cfg: cfg, dir: dir, hb: make(chan []byte, 64),
		snapGot: make(chan struct{})}
	b.cond = sync.NewCond(&b.mu)
	if cfg.mode == "pipeline" {
		b.seen = make([]uint64, cfg.count/64+1)
	}
	b.ringT = make([]int64, cfg.window)
	b.ringI = make([]uint64, cfg.window)
	for i := range b.ringI {
		b.ringI[i] = math.MaxUint64
	}
	return b
}

// stamp records when message i was sent.
func (b *bench) stamp(i uint64, t int64) {
	s := i % b.cfg.window
	atomic.StoreUint64(&b.ringI[s], math.MaxUint64)
	atomic.StoreInt64(&b.ringT[s], t)
	atomic.StoreUint64(&b.ringI[s], i)
}

// sentAt returns when message i was sent, if its slot still holds it.
func (b *bench) sentAt(i uint64) (int64, bool) {
	s := i % b.cfg.window
	if atomic.LoadUint64(&b.ringI[s]) != i {
		return 0, false
	}
	t := atomic.LoadInt64(&b.ringT[s])
	return t, atomic.LoadUint64(&b.ringI[s]) == i
}

// advance moves done to d and wakes the sender; mu held.
func (b *bench) advance(d uint64, t int64) {
	atomic.StoreUint64(&b.done, d)
	b.doneAt = t
	b.cond.Signal()
}

// watchdog marks the run stalled after stallLimit without progress.
func (b *bench) watchdog(stop <-chan struct{}) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last, lastT := atomic.LoadUint64(&b.done), time.Now()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if d := atomic.LoadUint64(&b.done); d != last {
			last, lastT = d, time.Now()
		} else if time.Since(lastT) > stallLimit {
			b.mu.Lock()
			b.stalled = true
			b.cond.Broadcast()
			b.mu.Unlock()
			return
		}
	}
}

// ------------------------------------------------------------- raft core

// node is one member's raft core as rafthttp sees it.
type node struct {
	b        *bench
	tr       *rafthttp.Transport
	id       uint64
	external bool // two processes: the receiver acks MsgApp
}

// firstSight reports whether index is in range and not seen before, and
// marks it seen; mu held.
func (b *bench) firstSight(index uint64) bool {
	if index >= b.cfg.count {
		return false
	}
	w, bit := index/64, uint64(1)<<(index%64)
	seen := b.seen[w]&bit != 0
	b.seen[w] |= bit
	return !seen
}

// checkMsgApp checks one MsgApp as the receiver sees it; mu held. Stream:
// its index is the number of MsgApp delivered before it. Pipeline, whose 4
// POST connections let messages overtake each other: an index in range not
// seen before. Both: one entry, of --size bytes, whose index follows the
// message's.
func (b *bench) checkMsgApp(m *raftpb.Message) bool {
	ok := len(m.Entries) == 1 && int64(len(m.Entries[0].Data)) == b.cfg.size &&
		m.Entries[0].Index == m.Index+1
	if b.seen != nil {
		ok = b.firstSight(m.Index) && ok
	} else {
		ok = ok && m.Index == b.rx
	}
	if !ok {
		if b.bad < maxBadShown {
			want := fmt.Sprint(b.rx)
			if b.seen != nil {
				want = fmt.Sprintf("unseen, < %d", b.cfg.count)
			}
			n := 0
			if len(m.Entries) > 0 {
				n = len(m.Entries[0].Data)
			}
			fmt.Fprintf(os.Stderr, "gobench: bad MsgApp #%d: index %d (want %s), "+
				"%d entries, entry of %d bytes (want 1 of %d)\n",
				b.rx, m.Index, want, len(m.Entries), n, b.cfg.size)
		}
		b.bad++
	}
	return ok
}

func (n *node) Process(ctx context.Context, m raftpb.Message) error {
	b := n.b
	switch m.Type {
	case raftpb.MsgApp:
		b.mu.Lock()
		t := now()
		ok := b.checkMsgApp(&m)
		if b.rx == 0 {
			b.firstRx = t
		}
		b.rx++
		b.lastRx = t
		if !n.external && ok {
			if t0, ok := b.sentAt(m.Index); ok {
				b.lat.add(t - t0)
			}
		}
		b.advance(b.rx, t)
		delivered := b.rx
		b.mu.Unlock()
		// Two processes: a cumulative ack, the number of MsgApp delivered
		// so far (the spec's m.Index+1 when nothing was lost or reordered;
		// through the pipeline the acks themselves may arrive reordered,
		// and the sender keeps the highest).
		if n.external {
			n.tr.Send([]raftpb.Message{{Type: raftpb.MsgAppResp, From: n.id,
				To: m.From, Term: 1, Index: delivered}})
		}
	case raftpb.MsgAppResp: // the sender, two processes: cumulative ack
		b.mu.Lock()
		k := m.Index
		if s := atomic.LoadUint64(&b.sent); k > s {
			k = s
		}
		if d := atomic.LoadUint64(&b.done); k > d {
			t := now()
			for j := d; j < k; j++ {
				if t0, ok := b.sentAt(j); ok {
					b.lat.add(t - t0)
				}
			}
			b.advance(k, t)
		}
		b.mu.Unlock()
	case raftpb.MsgHeartbeat:
		n.tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeatResp, From: n.id,
			To: m.From, Term: 1, Context: m.Context}})
		if len(m.Context) == 8 {
			b.mu.Lock()
			b.answered++
			b.lastRx = now()
			if b.answered == warmups {
				b.warmAt = b.lastRx
			}
			b.mu.Unlock()
		}
	case raftpb.MsgHeartbeatResp:
		select {
		case b.hb <- m.Context:
		default:
		}
	case raftpb.MsgSnap: // etcd calls Process once the db is saved+fsynced
		t := now()
		fn := filepath.Join(b.dir, fmt.Sprintf("%016x.snap.db", m.Snapshot.Metadata.Index))
		if st, err := os.Stat(fn); err != nil || st.Size() != b.cfg.size {
			b.mu.Lock()
			b.bad++
			b.mu.Unlock()
		}
		b.snapOnce.Do(func() {
			b.snapAt = t
			close(b.snapGot)
		})
	}
	return nil
}

func (n *node) IsIDRemoved(id uint64) bool { return false }
func (n *node) ReportUnreachable(id uint64) {
	atomic.AddUint64(&n.b.unreachable, 1)
}
func (n *node) ReportSnapshot(id uint64, s raft.SnapshotStatus) {}

// ------------------------------------------------------------ transports

func newTransport(b *bench, id uint64, self string, external bool) *node {
	urls, err := types.NewURLs([]string{self})
	if err != nil {
		usage("bad URL %q: %v", self, err)
	}
	n := &node{b: b, id: id, external: external}
	n.tr = &rafthttp.Transport{
		Logger: zap.NewNop(),
		ID:     types.ID(id), URLs: urls, ClusterID: types.ID(b.cfg.clusterID),
		Raft:        n,
		Snapshotter: snap.New(zap.NewNop(), b.dir),
		ServerStats: stats.NewServerStats("gobench", types.ID(id).String()),
		LeaderStats: stats.NewLeaderStats(types.ID(id).String()),
		ErrorC:      make(chan error, 1),
	}
	if err := n.tr.Start(); err != nil {
		fail("transport start: %v", err)
	}
	return n
}

// serve answers the transport's peers on l. In pipeline mode no stream
// ever comes up: GET /raft/stream/... answers 404.
func serve(b *bench, n *node, l net.Listener) {
	h := n.tr.Handler()
	pipelineOnly := b.cfg.mode == "pipeline"
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pipelineOnly && strings.HasPrefix(r.URL.Path, rafthttp.RaftStreamPrefix+"/") {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, rafthttp.RaftSnapshotPrefix) {
			atomic.CompareAndSwapInt64(&b.snapStart, 0, now())
		}
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: wrapped, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(l)
}

// ready waits until the sender's transport can reach the receiver: both
// streams up (unless pipeline mode), then a heartbeat round trip.
func ready(b *bench, s *node, to uint64, r *node) {
	deadline := time.Now().Add(setupLimit)
	if b.cfg.mode != "pipeline" {
		for s.tr.ActiveSince(types.ID(to)).IsZero() ||
			(r != nil && r.tr.ActiveSince(types.ID(s.id)).IsZero()) {
			if time.Now().After(deadline) {
				fail("the peer never became active")
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(streamGrace)
	}
	for {
		s.tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeat, From: s.id, To: to,
			Term: 1, Context: []byte("probe")}})
		t := time.NewTimer(probeWait)
	wait:
		for {
			select {
			case c := <-b.hb:
				if string(c) == "probe" {
					t.Stop()
					return
				}
			case <-t.C:
				break wait
			}
		}
		if time.Now().After(deadline) {
			fail("no heartbeat answer from the peer")
		}
	}
}

var tmpDir string // removed on every exit

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gobench: "+format+"\n", a...)
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(1)
}

// ----------------------------------------------------------------- runs

type result struct {
	secs      float64
	delivered uint64
	dropped   uint64
	bad       uint64
	timedOut  bool
	lat       *hist
}

func msgApp(from, to, i uint64, data []byte) raftpb.Message {
	return raftpb.Message{Type: raftpb.MsgApp, From: from, To: to, Term: 1,
		LogTerm: 1, Index: i, Commit: i,
		Entries: []raftpb.Entry{{Term: 1, Index: i + 1,
			Type: raftpb.EntryNormal, Data: data}}}
}

// runStream sends count MsgApp, at most window not yet delivered (one
// process) or acked (two processes).
func runStream(b *bench, s *node, to uint64) result {
	cfg := b.cfg
	data := make([]byte, cfg.size)
	stop := make(chan struct{})
	start := now()
	b.mu.Lock()
	b.doneAt = start
	b.mu.Unlock()
	go b.watchdog(stop)
	for i := uint64(0); i < cfg.count; i++ {
		if i-atomic.LoadUint64(&b.done) >= cfg.window {
			b.mu.Lock()
			for !b.stalled && i-atomic.LoadUint64(&b.done) >= cfg.window {
				b.cond.Wait()
			}
			stalled := b.stalled
			b.mu.Unlock()
			if stalled {
				break
			}
		}
		b.stamp(i, now())
		atomic.StoreUint64(&b.sent, i+1)
		s.tr.Send([]raftpb.Message{msgApp(s.id, to, i, data)})
	}
	b.mu.Lock()
	for !b.stalled && atomic.LoadUint64(&b.done) < cfg.count {
		b.cond.Wait()
	}
	close(stop)
	r := result{delivered: atomic.LoadUint64(&b.done), bad: b.bad, lat: &b.lat}
	end := now()
	if r.delivered < cfg.count {
		r.timedOut = true
		r.dropped = atomic.LoadUint64(&b.sent) - r.delivered
		end = b.doneAt
	}
	b.mu.Unlock()
	r.secs = float64(end-start) / 1e9
	return r
}

// runRTT does warm-up round trips, then count measured ones, one at a time.
func runRTT(b *bench, s *node, to uint64) result {
	cfg := b.cfg
	var r result
	r.lat = &b.lat
	timer := time.NewTimer(time.Hour)
	var start, end int64
	var sent uint64
loop:
	for seq := uint64(0); seq < warmups+cfg.count; seq++ {
		ctx := make([]byte, 8)
		binary.BigEndian.PutUint64(ctx, seq)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(stallLimit)
		t := now()
		if seq == warmups {
			start = t
		}
		if seq >= warmups {
			sent++
		}
		s.tr.Send([]raftpb.Message{{Type: raftpb.MsgHeartbeat, From: s.id, To: to,
			Term: 1, Context: ctx}})
	wait:
		for {
			select {
			case c := <-b.hb:
				if len(c) != 8 { // a late probe answer
					continue
				}
				if binary.BigEndian.Uint64(c) != seq {
					r.bad++
					continue
				}
				break wait
			case <-timer.C:
				r.timedOut = true
				break loop
			}
		}
		end = now()
		if seq >= warmups {
			b.lat.add(end - t)
			r.delivered++
		}
	}
	r.dropped = sent - r.delivered
	r.secs = float64(end-start) / 1e9
	if r.delivered == 0 {
		r.secs = 0
	}
	return r
}

// snapReader makes the snapshot database up as it is read.
type snapReader struct {
	left int64
	off  int64
	read int64 // atomic: bytes handed out
	pat  []byte
}

func newSnapReader(size int64) *snapReader {
	pat := make([]byte, 1<<20)
	for i := range pat {
		pat[i] = byte(i*31 + 7)
	}
	return &snapReader{left: size, pat: pat}
}

func (r *snapReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.pat[(r.off+int64(n))%int64(len(r.pat)):])
	}
	r.off += int64(n)
	r.left -= int64(n)
	atomic.AddInt64(&r.read, int64(n))
	return n, nil
}

func (r *snapReader) Close() error { return nil }

// runSnapshot sends one MsgSnap with size bytes of database; done when the
// sender's snap.Message reports success and (one process) the receiver's
// Process saw the MsgSnap, which etcd calls after saving+fsyncing the db.
func runSnapshot(b *bench, s *node, to uint64, inproc bool) result {
	size := b.cfg.size
	rd := newSnapReader(size)
	m := raftpb.Message{Type: raftpb.MsgSnap, From: s.id, To: to, Term: 1,
		Snapshot: raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 1, Term: 1}}}
	start := now()
	msg := snap.NewMessage(m, rd, size)
	s.tr.SendSnapshot(*msg)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last, lastT := int64(-1), time.Now()
	var r result
	ok := false
loop:
	for {
		select {
		case ok = <-msg.CloseNotify():
			break loop
		case <-tick.C:
			n := atomic.LoadInt64(&rd.read)
			limit := stallLimit
			if n >= size {
				limit = setupLimit // all read: the receiver saves and fsyncs
			}
			if n != last {
				last, lastT = n, time.Now()
			} else if time.Since(lastT) > limit {
				r.timedOut = true
				break loop
			}
		}
	}
	if ok && inproc {
		select {
		case <-b.snapGot:
		case <-time.After(setupLimit):
			ok = false
		}
	}
	end := now()
	r.secs = float64(end-start) / 1e9
	if ok {
		r.delivered = 1
	} else {
		r.dropped = 1
	}
	b.mu.Lock()
	r.bad = b.bad
	b.mu.Unlock()
	return r
}

// runReceiver waits, two processes, for what the sender sends, and
// reports the rate it saw.
func runReceiver(b *bench) result {
	cfg := b.cfg
	var r result
	deadline := time.Now().Add(setupLimit)
	var last uint64
	lastT := time.Now()
	started := false
	for {
		b.mu.Lock()
		rx, answered := b.rx, b.answered
		b.mu.Unlock()
		var progress uint64
		finished := false
		switch cfg.mode {
		case "stream", "pipeline":
			progress, finished = rx, rx >= cfg.count
		case "rtt":
			progress, finished = answered, answered >= cfg.count+warmups
		case "snapshot":
			select {
			case <-b.snapGot:
				finished = true
			default:
			}
			if atomic.LoadInt64(&b.snapStart) != 0 {
				progress = 1
			}
		}
		if finished {
			break
		}
		if progress != last {
			last, lastT, started = progress, time.Now(), true
		}
		limit := stallLimit
		if cfg.mode == "snapshot" {
			limit = 10 * time.Minute
		}
		if (!started && time.Now().After(deadline)) ||
			(started && time.Since(lastT) > limit) {
			r.timedOut = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r.bad = b.bad
	switch cfg.mode {
	case "stream", "pipeline":
		r.delivered = b.rx
		r.secs = float64(b.lastRx-b.firstRx) / 1e9
	case "rtt":
		if b.answered > warmups {
			r.delivered = b.answered - warmups
			r.secs = float64(b.lastRx-b.warmAt) / 1e9
		}
	case "snapshot":
		if !r.timedOut {
			r.delivered = 1
			r.secs = float64(b.snapAt-atomic.LoadInt64(&b.snapStart)) / 1e9
		}
	}
	return r
}

// --------------------------------------------------------------- output

type field struct{ key, val string }

func ffmt(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

var allKeys = []string{"impl", "mode", "role", "size", "count", "window", "secs",
	"delivered", "dropped", "bad", "msgs_per_s", "mb_per_s", "p50_us", "p99_us",
	"p999_us", "max_us", "cpu_s", "cpu_us_per_msg", "peak_rss_kb"}

func report(cfg config, r result) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) +
		float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	rss := ru.Maxrss

	msgs := cfg.mode == "stream" || cfg.mode == "pipeline"
	var f []field
	add := func(k, v string) { f = append(f, field{k, v}) }
	add("impl", `"go"`)
	add("mode", strconv.Quote(cfg.mode))
	add("role", strconv.Quote(cfg.role))
	if cfg.mode != "rtt" {
		add("size", strconv.FormatInt(cfg.size, 10))
	}
	if cfg.mode != "snapshot" {
		add("count", strconv.FormatUint(cfg.count, 10))
	}
	if msgs && cfg.role != "recv" {
		add("window", strconv.FormatUint(cfg.window, 10))
	}
	add("secs", ffmt(r.secs, 6))
	add("delivered", strconv.FormatUint(r.delivered, 10))
	if cfg.role != "recv" {
		add("dropped", strconv.FormatUint(r.dropped, 10))
	}
	add("bad", strconv.FormatUint(r.bad, 10))
	rate, mb := 0.0, 0.0
	if r.secs > 0 {
		rate = float64(r.delivered) / r.secs
		mb = float64(r.delivered) * float64(cfg.size) / r.secs / 1e6
	}
	if cfg.mode != "snapshot" {
		add("msgs_per_s", ffmt(rate, 1))
	}
	if cfg.mode != "rtt" {
		add("mb_per_s", ffmt(mb, 3))
	}
	haveLat := r.lat != nil && cfg.role != "recv" && cfg.mode != "snapshot"
	if haveLat {
		add("p50_us", ffmt(r.lat.percentile(0.50), 1))
		add("p99_us", ffmt(r.lat.percentile(0.99), 1))
		add("p999_us", ffmt(r.lat.percentile(0.999), 1))
		add("max_us", ffmt(float64(r.lat.max)/1e3, 1))
	}
	add("cpu_s", ffmt(cpu, 3))
	perMsg := 0.0
	if r.delivered > 0 {
		perMsg = cpu * 1e6 / float64(r.delivered)
	}
	if cfg.mode != "snapshot" {
		add("cpu_us_per_msg", ffmt(perMsg, 3))
	}
	add("peak_rss_kb", strconv.FormatInt(rss, 10))

	if cfg.json {
		parts := make([]string, len(f))
		for i, x := range f {
			parts[i] = strconv.Quote(x.key) + ":" + x.val
		}
		fmt.Println("{" + strings.Join(parts, ",") + "}")
	}
	if cfg.csv {
		vals := map[string]string{}
		for _, x := range f {
			vals[x.key] = strings.Trim(x.val, `"`)
		}
		row := make([]string, len(allKeys))
		for i, k := range allKeys {
			row[i] = vals[k]
		}
		fmt.Println(strings.Join(allKeys, ","))
		fmt.Println(strings.Join(row, ","))
	}
	if cfg.json || cfg.csv {
		return
	}

	// Human: one line.
	var sb strings.Builder
	fmt.Fprintf(&sb, "go %s", cfg.mode)
	if cfg.role != "both" {
		fmt.Fprintf(&sb, " %s", cfg.role)
	}
	switch {
	case msgs:
		fmt.Fprintf(&sb, " size=%d count=%d", cfg.size, cfg.count)
		if cfg.role != "recv" {
			fmt.Fprintf(&sb, " window=%d", cfg.window)
		}
		fmt.Fprintf(&sb, ": %.0f msgs/s %.1f MB/s", rate, mb)
	case cfg.mode == "rtt":
		fmt.Fprintf(&sb, " count=%d: %.0f round trips/s", cfg.count, rate)
	default:
		fmt.Fprintf(&sb, " size=%d: %.2f s %.1f MB/s", cfg.size, r.secs, mb)
	}
	if haveLat {
		fmt.Fprintf(&sb, " p50 %.1f us p99 %.1f us p999 %.1f us max %.1f us",
			r.lat.percentile(0.50), r.lat.percentile(0.99),
			r.lat.percentile(0.999), float64(r.lat.max)/1e3)
	}
	if cfg.mode == "snapshot" {
		fmt.Fprintf(&sb, " cpu %.2f s", cpu)
	} else {
		fmt.Fprintf(&sb, " cpu %.2f us/msg", perMsg)
	}
	fmt.Fprintf(&sb, " rss %d KiB", rss)
	if cfg.role == "recv" && (r.timedOut || r.bad > 0) {
		fmt.Fprintf(&sb, " delivered=%d bad=%d", r.delivered, r.bad)
	} else if r.timedOut || r.bad > 0 || r.dropped > 0 {
		fmt.Fprintf(&sb, " delivered=%d dropped=%d bad=%d", r.delivered, r.dropped, r.bad)
	}
	if r.timedOut {
		sb.WriteString(" TIMED OUT")
	}
	fmt.Println(sb.String())
}

// ----------------------------------------------------------------- main

func main() {
	capnslog.SetGlobalLogLevel(capnslog.CRITICAL) // etcd's non-zap leftovers
	cfg := parseFlags()
	dir, err := os.MkdirTemp("", "gobench-")
	if err != nil {
		fail("%v", err)
	}
	tmpDir = dir
	// A run stopped from outside (timeout(1), ^C) still removes its
	// directory, which may hold a snapshot database.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { fail("stopped by %v", <-sig) }()
	b := newBench(cfg, dir)
	var r result
	if cfg.role == "both" {
		r = runInProcess(b)
	} else {
		r = runExternal(b)
	}
	report(cfg, r)
	os.RemoveAll(dir)
	if r.timedOut || r.bad > 0 || r.dropped > 0 {
		if r.timedOut {
			fmt.Fprintf(os.Stderr, "gobench: no progress for %v: delivered %d, "+
				"dropped %d (ReportUnreachable called %d times)\n", stallLimit,
				r.delivered, r.dropped, atomic.LoadUint64(&b.unreachable))
		}
		os.Exit(1)
	}
}

func listenLocal() (net.Listener, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	return l, "http://" + l.Addr().String()
}

func runInProcess(b *bench) result {
	cfg := b.cfg
	l1, u1 := listenLocal()
	l2, u2 := listenLocal()
	s := newTransport(b, cfg.localID, u1, false)
	rcv := newTransport(b, cfg.peerID, u2, false)
	serve(b, s, l1)
	serve(b, rcv, l2)
	s.tr.AddPeer(types.ID(cfg.peerID), []string{u2})
	rcv.tr.AddPeer(types.ID(cfg.localID), []string{u1})
	ready(b, s, cfg.peerID, rcv)
	return runMode(b, s, true)
}

func runMode(b *bench, s *node, inproc bool) result {
	switch b.cfg.mode {
	case "rtt":
		return runRTT(b, s, b.cfg.peerID)
	case "snapshot":
		return runSnapshot(b, s, b.cfg.peerID, inproc)
	default:
		return runStream(b, s, b.cfg.peerID)
	}
}

func runExternal(b *bench) result {
	cfg := b.cfg
	u, err := url.Parse(cfg.listen)
	if err != nil || u.Host == "" {
		usage("bad --listen %q", cfg.listen)
	}
	if _, err := url.Parse(cfg.peerURL); err != nil {
		usage("bad --peer-url %q", cfg.peerURL)
	}
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		fail("listen %s: %v", u.Host, err)
	}
	n := newTransport(b, cfg.localID, cfg.listen, true)
	serve(b, n, l)
	n.tr.AddPeer(types.ID(cfg.peerID), []string{cfg.peerURL})
	if cfg.role == "recv" {
		r := runReceiver(b)
		if !r.timedOut {
			time.Sleep(linger) // the last acks/answers flush
		}
		return r
	}
	ready(b, n, cfg.peerID, nil)
	return runMode(b, n, false)
}
