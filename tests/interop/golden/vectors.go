// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"math"
	"strings"

	"go.etcd.io/etcd/raft/raftpb"
)

// vector is one golden vector built in memory from a value.
type vector struct {
	kind  *kind
	name  string
	param string
	value interface{} // what etcd encoded
	data  []byte      // etcd's encoding of value

	wantHex     string // if set, the encoding gen asserts (hand-derived)
	wantRecords string // msgappv2: the record types gen asserts, e.g. "021"
}

// builder collects vectors in the order gen writes them.
type builder struct {
	vecs []*vector
}

// add encodes value with etcd's encoder for kindName and appends the vector
// named prefix.suffix.
func (b *builder) add(kindName, suffix, param string, value interface{}) *vector {
	k := kindByName(kindName)
	data, err := k.encode(value, param)
	if err != nil {
		panic(fmt.Sprintf("encoding %s %s: %v", kindName, suffix, err))
	}
	v := &vector{kind: k, name: k.prefix + "." + suffix, param: param, value: value, data: data}
	b.vecs = append(b.vecs, v)
	return v
}

// pb adds a vector of a protobuf kind; m is a pointer to a raftpb value.
func (b *builder) pb(kindName, suffix string, m protoMsg) *vector {
	return b.add(kindName, suffix, "-", m)
}

// want records the hex gen must produce for v.
func (v *vector) want(hex string) *vector {
	v.wantHex = hex
	return v
}

// buildVectors returns every vector, deterministically.
func buildVectors() []*vector {
	b := &builder{}
	addMessages(b)
	addEntries(b)
	addSnapshots(b)
	addConfStates(b)
	addConfChanges(b)
	addConfChangeV2s(b)
	addHardStates(b)
	addMsgStreams(b)
	addMsgAppV2s(b)
	addSnapBodies(b)
	addMembers(b)
	return b.vecs
}

const maxU64 = math.MaxUint64

// Shared example values.

func exampleHeartbeat() raftpb.Message {
	return raftpb.Message{Type: raftpb.MsgHeartbeat, To: 2, From: 1, Term: 5, Commit: 10}
}

func exampleApp() raftpb.Message {
	return raftpb.Message{Type: raftpb.MsgApp, To: 2, From: 1, Term: 1, LogTerm: 1, Index: 3, Commit: 3,
		Entries: []raftpb.Entry{{Term: 1, Index: 4, Data: []byte("hi")}}}
}

func exampleConfState() raftpb.ConfState {
	return raftpb.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}
}

func exampleSnap() raftpb.Message {
	return raftpb.Message{Type: raftpb.MsgSnap, To: 2, From: 1, Term: 2,
		Snapshot: raftpb.Snapshot{Data: []byte("v2"),
			Metadata: raftpb.SnapshotMetadata{ConfState: exampleConfState(), Index: 1000, Term: 2}}}
}

// fullConfState uses every ConfState field: a joint configuration demoting
// voter 3 to learner and adding voter 4.
func fullConfState() raftpb.ConfState {
	return raftpb.ConfState{Voters: []uint64{1, 2, 4}, Learners: []uint64{5},
		VotersOutgoing: []uint64{1, 2, 3}, LearnersNext: []uint64{3}, AutoLeave: true}
}

func maxConfState() raftpb.ConfState {
	return raftpb.ConfState{Voters: []uint64{maxU64}, Learners: []uint64{maxU64 - 1},
		VotersOutgoing: []uint64{maxU64}, LearnersNext: []uint64{maxU64 - 1}, AutoLeave: true}
}

// memberContext is the kind of Context etcd puts in a ConfChange: a JSON member.
var memberContext = []byte(`{"id":5582299463101008745,"peerURLs":["http://10.0.0.4:2380"],"name":"infra4"}`)

func exampleConfChange() raftpb.ConfChange {
	return raftpb.ConfChange{ID: 0x4d7a6f1e9b2c3a01, Type: raftpb.ConfChangeAddNode, NodeID: 4, Context: memberContext}
}

func threeChanges() []raftpb.ConfChangeSingle {
	return []raftpb.ConfChangeSingle{
		{Type: raftpb.ConfChangeAddNode, NodeID: 4},
		{Type: raftpb.ConfChangeRemoveNode, NodeID: 3},
		{Type: raftpb.ConfChangeAddLearnerNode, NodeID: 5},
	}
}

func exampleConfChangeV2() raftpb.ConfChangeV2 {
	return raftpb.ConfChangeV2{Transition: raftpb.ConfChangeTransitionJointExplicit,
		Changes: threeChanges(), Context: memberContext}
}

// typicalMessages has one message per MessageType 0..18, in type order, with
// the fields raft sets for that type.
func typicalMessages() []raftpb.Message {
	ent := func(term, index uint64, data string) []raftpb.Entry {
		return []raftpb.Entry{{Term: term, Index: index, Data: []byte(data)}}
	}
	return []raftpb.Message{
		{Type: raftpb.MsgHup, To: 1, From: 1},
		{Type: raftpb.MsgBeat, To: 1, From: 1},
		{Type: raftpb.MsgProp, To: 1, From: 2, Entries: ent(0, 0, "put foo bar")},
		{Type: raftpb.MsgApp, To: 2, From: 1, Term: 3, LogTerm: 2, Index: 10, Commit: 9, Entries: ent(3, 11, "put foo bar")},
		{Type: raftpb.MsgAppResp, To: 1, From: 2, Term: 3, Index: 11, Reject: true, RejectHint: 7},
		{Type: raftpb.MsgVote, To: 2, From: 1, Term: 4, LogTerm: 3, Index: 11},
		{Type: raftpb.MsgVoteResp, To: 1, From: 2, Term: 4},
		exampleSnap(),
		{Type: raftpb.MsgHeartbeat, To: 2, From: 1, Term: 5, Commit: 10, Context: []byte("ReadIndex-ctx")},
		{Type: raftpb.MsgHeartbeatResp, To: 1, From: 2, Term: 5, Context: []byte("ReadIndex-ctx")},
		{Type: raftpb.MsgUnreachable, To: 1, From: 2},
		{Type: raftpb.MsgSnapStatus, To: 1, From: 2, Reject: true},
		{Type: raftpb.MsgCheckQuorum, To: 1, From: 1},
		{Type: raftpb.MsgTransferLeader, To: 1, From: 3, Term: 5},
		{Type: raftpb.MsgTimeoutNow, To: 3, From: 1, Term: 5},
		{Type: raftpb.MsgReadIndex, To: 1, From: 2, Term: 5, Entries: ent(0, 0, "\x00\x00\x00\x00\x00\x00\x30\x39")},
		{Type: raftpb.MsgReadIndexResp, To: 2, From: 1, Term: 5, Index: 20, Entries: ent(0, 0, "\x00\x00\x00\x00\x00\x00\x30\x39")},
		{Type: raftpb.MsgPreVote, To: 2, From: 1, Term: 6, LogTerm: 5, Index: 20},
		{Type: raftpb.MsgPreVoteResp, To: 1, From: 2, Term: 6, Reject: true},
	}
}

func addMessages(b *builder) {
	msg := func(suffix string, m raftpb.Message) *vector { return b.pb("message", suffix, &m) }

	msg("empty", raftpb.Message{}).want("08001000180020002800300040004a0a12080a0228001000180050005800")
	for _, m := range typicalMessages() {
		msg(fmt.Sprintf("type_%02d_%s", m.Type, strings.ToLower(strings.TrimPrefix(m.Type.String(), "Msg"))), m)
	}
	msg("type_99_unknown", raftpb.Message{Type: 99, To: 2, From: 1, Term: 1})
	// A negative enum is written as a 10-byte sign-extended varint.
	msg("type_negative", raftpb.Message{Type: -1, To: 2, From: 1, Term: 1})
	msg("heartbeat_example", exampleHeartbeat()).want("080810021801200528003000400a4a0a12080a0228001000180050005800")
	msg("app_example", exampleApp())
	msg("snap_example", exampleSnap())
	msg("max_uint64", raftpb.Message{Type: raftpb.MsgApp, To: maxU64, From: maxU64, Term: maxU64,
		LogTerm: maxU64, Index: maxU64, Commit: maxU64, Reject: true, RejectHint: maxU64, Context: []byte("ctx"),
		Entries: []raftpb.Entry{{Type: raftpb.EntryConfChangeV2, Term: maxU64, Index: maxU64, Data: []byte("max")}},
		Snapshot: raftpb.Snapshot{Data: []byte("s"),
			Metadata: raftpb.SnapshotMetadata{ConfState: maxConfState(), Index: maxU64, Term: maxU64}}})
	hb := exampleHeartbeat()
	hb.Context = []byte{}
	msg("context_empty", hb)
	hb.Context = nil
	msg("context_nil", hb)

	// MsgApp with one entry per data size.
	app := func(suffix string, ents ...raftpb.Entry) {
		msg(suffix, raftpb.Message{Type: raftpb.MsgApp, To: 2, From: 1, Term: 7, LogTerm: 7, Index: 99, Commit: 98, Entries: ents})
	}
	app("app_data_nil", raftpb.Entry{Term: 7, Index: 100})
	app("app_data_empty", raftpb.Entry{Term: 7, Index: 100, Data: []byte{}})
	for _, n := range []int{1, 127, 128, 16383, 16384, 65536, 1 << 20} {
		app(fmt.Sprintf("app_data_%d", n), raftpb.Entry{Term: 7, Index: 100, Data: pattern(n)})
	}
	var ents []raftpb.Entry
	for i := 0; i < 64; i++ {
		ents = append(ents, raftpb.Entry{Term: 7, Index: uint64(100 + i), Data: pattern(64)})
	}
	app("app_64x64", ents...)
	cc, ccv2 := exampleConfChange(), exampleConfChangeV2()
	app("app_confchange",
		raftpb.Entry{Type: raftpb.EntryConfChange, Term: 7, Index: 100, Data: mustMarshal(&cc)},
		raftpb.Entry{Type: raftpb.EntryNormal, Term: 7, Index: 101, Data: []byte("put foo bar")})
	app("app_confchangev2",
		raftpb.Entry{Type: raftpb.EntryConfChangeV2, Term: 7, Index: 100, Data: mustMarshal(&ccv2)},
		raftpb.Entry{Type: raftpb.EntryConfChangeV2, Term: 7, Index: 101, Data: mustMarshal(&raftpb.ConfChangeV2{})})

	msg("snap_full_confstate", raftpb.Message{Type: raftpb.MsgSnap, To: 4, From: 1, Term: 9,
		Snapshot: raftpb.Snapshot{Data: jsonText(7 << 10),
			Metadata: raftpb.SnapshotMetadata{ConfState: fullConfState(), Index: 123456, Term: 9}}})
}

func addEntries(b *builder) {
	ent := func(suffix string, e raftpb.Entry) *vector { return b.pb("entry", suffix, &e) }

	ent("empty", raftpb.Entry{}).want("080010001800")
	ent("data_empty", raftpb.Entry{Data: []byte{}}).want("0800100018002200")
	ent("example", raftpb.Entry{Term: 1, Index: 4, Data: []byte("hi")}).want("08001001180422026869")
	cc, ccv2 := exampleConfChange(), exampleConfChangeV2()
	for _, e := range []raftpb.Entry{
		{Type: raftpb.EntryNormal, Term: 2, Index: 5, Data: []byte("put foo bar")},
		{Type: raftpb.EntryConfChange, Term: 2, Index: 6, Data: mustMarshal(&cc)},
		{Type: raftpb.EntryConfChangeV2, Term: 2, Index: 7, Data: mustMarshal(&ccv2)},
	} {
		ent("type_"+strings.ToLower(strings.TrimPrefix(e.Type.String(), "Entry")), e)
	}
	ent("max", raftpb.Entry{Type: raftpb.EntryConfChangeV2, Term: maxU64, Index: maxU64, Data: pattern(300)})
	ent("type_negative", raftpb.Entry{Type: -2, Term: 1, Index: 1})
}

func addSnapshots(b *builder) {
	snap := func(suffix string, s raftpb.Snapshot) { b.pb("snapshot", suffix, &s) }

	snap("empty", raftpb.Snapshot{})
	snap("data_empty", raftpb.Snapshot{Data: []byte{}})
	snap("example", exampleSnap().Snapshot)
	snap("full", raftpb.Snapshot{Data: jsonText(1000),
		Metadata: raftpb.SnapshotMetadata{ConfState: fullConfState(), Index: 123456, Term: 9}})
	snap("max", raftpb.Snapshot{Data: pattern(200),
		Metadata: raftpb.SnapshotMetadata{ConfState: maxConfState(), Index: maxU64, Term: maxU64}})
}

func addConfStates(b *builder) {
	cs := func(suffix string, c raftpb.ConfState) *vector { return b.pb("confstate", suffix, &c) }

	cs("empty", raftpb.ConfState{}).want("2800")
	cs("example", exampleConfState()).want("08010802080310042800")
	cs("full", fullConfState())
	cs("max", maxConfState())
	cs("many_voters", raftpb.ConfState{Voters: []uint64{
		0x8e9e05c52164694d, 0x91bc3c398fb3c146, 0xfd422379fda50e48, 1, 127, 128, 16383, 16384}})
}

func addConfChanges(b *builder) {
	for t := raftpb.ConfChangeAddNode; t <= raftpb.ConfChangeAddLearnerNode; t++ {
		name := fmt.Sprintf("type_%d_%s", t, strings.ToLower(strings.TrimPrefix(t.String(), "ConfChange")))
		cc := raftpb.ConfChange{ID: 0x4d7a6f1e9b2c3a01 + uint64(t), Type: t, NodeID: 4 + uint64(t)}
		b.pb("confchange", name, &cc)
		withCtx := cc
		withCtx.Context = memberContext
		b.pb("confchange", name+"_context", &withCtx)
	}
	b.pb("confchange", "empty", &raftpb.ConfChange{})
	b.pb("confchange", "context_empty", &raftpb.ConfChange{ID: 1, NodeID: 2, Context: []byte{}})
	b.pb("confchange", "max", &raftpb.ConfChange{ID: maxU64, Type: raftpb.ConfChangeAddLearnerNode,
		NodeID: maxU64, Context: pattern(130)})
}

func addConfChangeV2s(b *builder) {
	all := threeChanges()
	for t := raftpb.ConfChangeTransitionAuto; t <= raftpb.ConfChangeTransitionJointExplicit; t++ {
		name := fmt.Sprintf("%d_%s", t, strings.ToLower(strings.TrimPrefix(t.String(), "ConfChangeTransition")))
		b.pb("confchangev2", name+"_0", &raftpb.ConfChangeV2{Transition: t})
		b.pb("confchangev2", name+"_1", &raftpb.ConfChangeV2{Transition: t, Changes: all[:1]})
		b.pb("confchangev2", name+"_3", &raftpb.ConfChangeV2{Transition: t, Changes: all})
		b.pb("confchangev2", name+"_3_context", &raftpb.ConfChangeV2{Transition: t, Changes: all, Context: memberContext})
	}
	b.pb("confchangev2", "update_node_context_empty", &raftpb.ConfChangeV2{
		Changes: []raftpb.ConfChangeSingle{{Type: raftpb.ConfChangeUpdateNode, NodeID: maxU64}}, Context: []byte{}})
}

func addHardStates(b *builder) {
	b.pb("hardstate", "zero", &raftpb.HardState{})
	b.pb("hardstate", "example", &raftpb.HardState{Term: 5, Vote: 2, Commit: 10})
	b.pb("hardstate", "max", &raftpb.HardState{Term: maxU64, Vote: maxU64, Commit: maxU64})
}
