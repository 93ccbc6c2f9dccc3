// SPDX-License-Identifier: Apache-2.0

// gopeer runs etcd's own rafthttp.Transport (Debian's etcd 3.4.23
// sources) as the peer of a C member: it sends the C member every raft
// message type over the streams and a snapshot, and checks what the C
// member sends back, in content and order, and its snapshot.
//
// usage: gopeer LOCAL_URL C_URL SNAPDIR
// The Go member is ID 2, the C member ID 1, cluster 0x1000. Exits 0 when
// everything checked out, 1 otherwise; prints one line per finding.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/etcdserver/api/snap"
	stats "go.etcd.io/etcd/etcdserver/api/v2stats"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft"
	"go.etcd.io/etcd/raft/raftpb"
)

// The sequence each side sends the other (MsgSnap goes separately).
var sequence = []raftpb.MessageType{
	raftpb.MsgProp, raftpb.MsgApp, raftpb.MsgAppResp, raftpb.MsgVote,
	raftpb.MsgVoteResp, raftpb.MsgHeartbeat, raftpb.MsgHeartbeatResp,
	raftpb.MsgTransferLeader, raftpb.MsgTimeoutNow, raftpb.MsgReadIndex,
	raftpb.MsgReadIndexResp, raftpb.MsgPreVote, raftpb.MsgPreVoteResp,
}

const rounds = 50 // the sequence is sent this many times

// checker is the raft core: it records what the C member sends.
type checker struct {
	mu       sync.Mutex
	got      []raftpb.Message
	snapshot raftpb.Message
	snaps    int
	piped    int // MsgSnap through the pipeline (POST /raft)
}

func (c *checker) Process(ctx context.Context, m raftpb.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Type == raftpb.MsgSnap && m.Snapshot.Metadata.Index == 9999 {
		c.piped++
		return nil
	}
	if m.Type == raftpb.MsgSnap {
		c.snapshot = m
		c.snaps++
		return nil
	}
	c.got = append(c.got, m)
	return nil
}
func (c *checker) IsIDRemoved(id uint64) bool                      { return false }
func (c *checker) ReportUnreachable(id uint64)                     {}
func (c *checker) ReportSnapshot(id uint64, s raft.SnapshotStatus) {}

// message builds message number i of the stream of messages from -> to.
func message(i int, from, to uint64) raftpb.Message {
	t := sequence[i%len(sequence)]
	m := raftpb.Message{Type: t, From: from, To: to, Term: 7, Index: uint64(i),
		Commit: uint64(i), LogTerm: 7}
	if t == raftpb.MsgApp || t == raftpb.MsgProp {
		m.Entries = []raftpb.Entry{{Term: 7, Index: uint64(i + 1),
			Data: bytes.Repeat([]byte{byte(i)}, i%300)}}
	}
	if t == raftpb.MsgHeartbeat || t == raftpb.MsgReadIndex {
		m.Context = []byte(fmt.Sprintf("ctx-%d", i))
	}
	return m
}

// check compares what arrived with what the C member sent. Messages of
// one kind keep their order (MsgApp travels on its own stream).
func check(got []raftpb.Message) []string {
	var errs []string
	want := rounds * len(sequence)
	if len(got) != want {
		errs = append(errs, fmt.Sprintf("got %d messages, want %d", len(got), want))
	}
	last := map[raftpb.MessageType]int{}
	for _, m := range got {
		w := message(int(m.Index), 1, 2)
		if m.Type != w.Type || m.From != 1 || m.To != 2 || m.Term != 7 ||
			m.Commit != w.Commit || len(m.Entries) != len(w.Entries) ||
			!bytes.Equal(m.Context, w.Context) {
			errs = append(errs, fmt.Sprintf("message %d differs: %+v", m.Index, m))
			continue
		}
		for k := range m.Entries {
			if !bytes.Equal(m.Entries[k].Data, w.Entries[k].Data) {
				errs = append(errs, fmt.Sprintf("message %d: entry data differs", m.Index))
			}
		}
		if p, ok := last[m.Type]; ok && int(m.Index) < p {
			errs = append(errs, fmt.Sprintf("%v %d after %d: out of order", m.Type, m.Index, p))
		}
		last[m.Type] = int(m.Index)
	}
	return errs
}

func fatal(format string, a ...interface{}) {
	fmt.Printf("gopeer: FAIL: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fatal("usage: gopeer LOCAL_URL C_URL SNAPDIR")
	}
	local, err := types.NewURLs([]string{os.Args[1]})
	if err != nil {
		fatal("%v", err)
	}
	c := &checker{}
	tr := &rafthttp.Transport{
		ID: types.ID(2), URLs: local, ClusterID: types.ID(0x1000), Raft: c,
		Snapshotter: snap.New(nil, os.Args[3]),
		ServerStats: stats.NewServerStats("go", "2"),
		LeaderStats: stats.NewLeaderStats("2"),
		ErrorC:      make(chan error, 1),
	}
	if err := tr.Start(); err != nil {
		fatal("start: %v", err)
	}
	srv := &http.Server{Addr: local[0].Host, Handler: tr.Handler()}
	go srv.ListenAndServe()
	tr.AddPeer(types.ID(1), []string{os.Args[2]})
	run(tr, c)
}

func run(tr *rafthttp.Transport, c *checker) {
	deadline := time.Now().Add(30 * time.Second)
	for tr.ActiveSince(types.ID(1)).IsZero() {
		if time.Now().After(deadline) {
			fatal("the C member never became active")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // both streams, not just one
	for i := 0; i < rounds*len(sequence); i++ {
		tr.Send([]raftpb.Message{message(i, 2, 1)})
	}
	// A MsgSnap through Send goes by the pipeline, as in etcd's raft.
	tr.Send([]raftpb.Message{{Type: raftpb.MsgSnap, From: 2, To: 1, Term: 7,
		Snapshot: raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 9999}}}})
	sendSnapshot(tr)
	for {
		c.mu.Lock()
		n, snaps, piped := len(c.got), c.snaps, c.piped
		c.mu.Unlock()
		if (n >= rounds*len(sequence) && snaps > 0 && piped > 0) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	errs := check(c.got)
	errs = append(errs, checkSnapshot(c.snapshot, c.snaps)...)
	if c.piped != 1 {
		errs = append(errs, fmt.Sprintf("%d pipeline MsgSnap, want 1", c.piped))
	}
	c.mu.Unlock()
	for _, e := range errs {
		fmt.Println("gopeer: FAIL:", e)
	}
	time.Sleep(500 * time.Millisecond) // let the C member read our last bytes
	if len(errs) > 0 {
		os.Exit(1)
	}
	fmt.Printf("gopeer: %d messages, a pipeline MsgSnap and a snapshot from the C member: ok\n",
		rounds*len(sequence))
}

// sendSnapshot sends a 3 MiB snapshot (byte i = i*31+7) to the C member.
func sendSnapshot(tr *rafthttp.Transport) {
	db := make([]byte, 3<<20)
	for i := range db {
		db[i] = byte(i*31 + 7)
	}
	m := raftpb.Message{Type: raftpb.MsgSnap, From: 2, To: 1, Term: 7,
		Snapshot: raftpb.Snapshot{Data: []byte("go-v2-store"),
			Metadata: raftpb.SnapshotMetadata{Index: 4242, Term: 7,
				ConfState: raftpb.ConfState{Voters: []uint64{1, 2}}}}}
	msg := snap.NewMessage(m, ioutil.NopCloser(bytes.NewReader(db)), int64(len(db)))
	tr.SendSnapshot(*msg)
	select {
	case ok := <-msg.CloseNotify():
		if !ok {
			fatal("the snapshot to the C member failed")
		}
	case <-time.After(20 * time.Second):
		fatal("the snapshot to the C member did not finish")
	}
}

// checkSnapshot checks the C member's snapshot and its saved database.
func checkSnapshot(m raftpb.Message, n int) []string {
	if n != 1 {
		return []string{fmt.Sprintf("%d snapshots from the C member, want 1", n)}
	}
	if m.Snapshot.Metadata.Index != 777 || string(m.Snapshot.Data) != "c-v2-store" {
		return []string{fmt.Sprintf("snapshot message differs: %+v", m.Snapshot.Metadata)}
	}
	path := filepath.Join(os.Args[3], fmt.Sprintf("%016x.snap.db", 777))
	db, err := ioutil.ReadFile(path)
	if err != nil {
		return []string{fmt.Sprintf("snapshot database: %v", err)}
	}
	for i, b := range db {
		if b != byte(i*31+7) {
			return []string{fmt.Sprintf("snapshot database byte %d differs", i)}
		}
	}
	if len(db) != 2<<20 {
		return []string{fmt.Sprintf("snapshot database is %d bytes, want %d", len(db), 2<<20)}
	}
	return nil
}
