// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.etcd.io/etcd/etcdserver/api/membership"
	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft/raftpb"
)

// kind is one vector kind: how etcd encodes a value of it and how etcd
// decodes its bytes. decode(encode(v)) need not give back v (msgappv2, for
// one, fills From/To from PARAM), but encode(decode(b)) == b holds for every
// vector gen writes, and gen checks it.
type kind struct {
	name   string
	prefix string // every vector name of this kind is prefix + "." + suffix
	encode func(v interface{}, param string) ([]byte, error)
	decode func(b []byte, param string) (interface{}, error)
}

// kinds lists every kind in the order gen writes them.
var kinds = []*kind{
	protoKind("message", "msg", func() protoMsg { return new(raftpb.Message) }),
	protoKind("entry", "ent", func() protoMsg { return new(raftpb.Entry) }),
	protoKind("snapshot", "snap", func() protoMsg { return new(raftpb.Snapshot) }),
	protoKind("confstate", "cs", func() protoMsg { return new(raftpb.ConfState) }),
	protoKind("confchange", "cc", func() protoMsg { return new(raftpb.ConfChange) }),
	protoKind("confchangev2", "ccv2", func() protoMsg { return new(raftpb.ConfChangeV2) }),
	protoKind("hardstate", "hs", func() protoMsg { return new(raftpb.HardState) }),
	{name: "msgstream", prefix: "stream", encode: encodeMsgStream, decode: decodeMsgStream},
	{name: "msgappv2", prefix: "app2", encode: encodeMsgAppV2, decode: decodeMsgAppV2},
	{name: "snapbody", prefix: "body", encode: encodeSnapBody, decode: decodeSnapBody},
	{name: "memberjson", prefix: "member", encode: encodeMemberJSON, decode: decodeMemberJSON},
	{name: "membersjson", prefix: "members", encode: encodeMembersJSON, decode: decodeMembersJSON},
}

// kindByName returns the kind called name, or nil.
func kindByName(name string) *kind {
	for _, k := range kinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// protoMsg is what gogoproto generates for every raftpb type.
type protoMsg interface {
	Marshal() ([]byte, error)
	Unmarshal(b []byte) error
}

// protoKind is a kind whose bytes are one raftpb value's Marshal(); its
// values are pointers to that raftpb type.
func protoKind(name, prefix string, newMsg func() protoMsg) *kind {
	return &kind{
		name:   name,
		prefix: prefix,
		encode: func(v interface{}, _ string) ([]byte, error) { return v.(protoMsg).Marshal() },
		decode: func(b []byte, _ string) (interface{}, error) {
			m := newMsg()
			err := m.Unmarshal(b)
			return m, err
		},
	}
}

// encodeMsgStream writes msgs ([]raftpb.Message) with etcd's messageEncoder.
func encodeMsgStream(v interface{}, _ string) ([]byte, error) {
	var buf bytes.Buffer
	err := encodeAll(rafthttp.NewMessageEncoder(&buf), v.([]raftpb.Message))
	return buf.Bytes(), err
}

// decodeMsgStream reads messages with etcd's messageDecoder until io.EOF.
// The size limit is the stream's own length rather than etcd's 512 MB: no
// valid frame is longer, and a corrupt length then fails instead of
// allocating.
func decodeMsgStream(b []byte, _ string) (interface{}, error) {
	return decodeAll(rafthttp.NewMessageDecoderLimit(bytes.NewReader(b), uint64(len(b))))
}

// encodeMsgAppV2 writes msgs ([]raftpb.Message) with one fresh
// msgAppV2Encoder. The IDs in param only matter to the decoder.
func encodeMsgAppV2(v interface{}, _ string) ([]byte, error) {
	var buf bytes.Buffer
	err := encodeAll(rafthttp.NewMsgAppV2Encoder(&buf), v.([]raftpb.Message))
	return buf.Bytes(), err
}

// decodeMsgAppV2 reads messages with one fresh msgAppV2Decoder whose
// local:remote IDs are param, until io.EOF. scanMsgAppV2 vets the framing
// first because etcd's decoder allocates whatever a length field claims.
func decodeMsgAppV2(b []byte, param string) (interface{}, error) {
	local, remote, err := parseIDs(param)
	if err != nil {
		return nil, err
	}
	if _, err := scanMsgAppV2(b); err != nil {
		return nil, err
	}
	return decodeAll(rafthttp.NewMsgAppV2Decoder(bytes.NewReader(b), local, remote))
}

// snapBody is a snapbody value: the MsgSnap head and the DB bytes after it.
type snapBody struct {
	Msg raftpb.Message
	DB  []byte
}

// encodeSnapBody reads the whole body etcd's snapshot sender would post for
// snap.NewMessage(Msg, DB). param is the DB length in decimal.
func encodeSnapBody(v interface{}, param string) ([]byte, error) {
	sb := v.(snapBody)
	if param != strconv.Itoa(len(sb.DB)) {
		return nil, fmt.Errorf("param %q is not the DB length %d", param, len(sb.DB))
	}
	body := rafthttp.CreateSnapBody(sb.Msg, bytes.NewReader(sb.DB), int64(len(sb.DB)))
	b, err := io.ReadAll(body)
	if cerr := body.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// decodeSnapBody splits a body the way etcd's snapshot handler does: one
// messageDecoder frame that must be a MsgSnap, then the DB bytes, whose
// count must be param.
func decodeSnapBody(b []byte, param string) (interface{}, error) {
	dbLen, err := strconv.Atoi(param)
	if err != nil {
		return nil, fmt.Errorf("bad snapbody param %q", param)
	}
	r := bytes.NewReader(b)
	m, err := rafthttp.NewMessageDecoderLimit(r, uint64(len(b))).Decode()
	if err != nil {
		return nil, fmt.Errorf("snapshot head: %v", err)
	}
	if m.Type != raftpb.MsgSnap {
		return nil, fmt.Errorf("snapshot head is %v, want MsgSnap", m.Type)
	}
	db, _ := io.ReadAll(r) // a bytes.Reader never fails
	if len(db) != dbLen {
		return nil, fmt.Errorf("%d DB bytes follow the head, want %d", len(db), dbLen)
	}
	return snapBody{Msg: m, DB: db}, nil
}

func encodeAll(enc rafthttp.Encoder, msgs []raftpb.Message) error {
	for i := range msgs {
		if err := enc.Encode(&msgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeAll decodes until the decoder reports io.EOF at a frame boundary.
func decodeAll(dec rafthttp.Decoder) ([]raftpb.Message, error) {
	var msgs []raftpb.Message
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			return msgs, nil
		}
		if err != nil {
			return msgs, fmt.Errorf("message #%d: %v", len(msgs), err)
		}
		msgs = append(msgs, m)
	}
}

// formatIDs is the msgappv2 PARAM for a decoder with these IDs.
func formatIDs(local, remote types.ID) string {
	return fmt.Sprintf("%x:%x", uint64(local), uint64(remote))
}

// parseIDs parses a msgappv2 PARAM, which must be in formatIDs' exact form.
func parseIDs(param string) (local, remote types.ID, err error) {
	l, r, ok := strings.Cut(param, ":")
	lv, lerr := strconv.ParseUint(l, 16, 64)
	rv, rerr := strconv.ParseUint(r, 16, 64)
	local, remote = types.ID(lv), types.ID(rv)
	if !ok || lerr != nil || rerr != nil || formatIDs(local, remote) != param {
		return 0, 0, fmt.Errorf("bad msgappv2 param %q, want LOCAL:REMOTE in lowercase hex", param)
	}
	return local, remote, nil
}

// scanMsgAppV2 walks the msgappv2 framing of b and returns each record's
// type byte. It checks only that record types are known and that every
// length field fits in the bytes left, so corrupt input fails cleanly;
// everything else is left to etcd's decoder.
func scanMsgAppV2(b []byte) ([]byte, error) {
	var recs []byte
	c := &cursor{b: b}
	for c.off < len(b) {
		typ := b[c.off]
		c.off++
		recs = append(recs, typ)
		var err error
		switch typ {
		case 0: // link heartbeat: the type byte alone
		case 1: // AppEntries: count, (size, entry)*, commit
			var n uint64
			if n, err = c.uint64("entry count"); err == nil && n > uint64(len(b)-c.off)/8 {
				err = fmt.Errorf("offset %d: entry count %d overruns the %d bytes left", c.off-8, n, len(b)-c.off)
			}
			for i := uint64(0); err == nil && i < n; i++ {
				var size uint64
				if size, err = c.uint64("entry size"); err == nil {
					err = c.skip(size, "entry")
				}
			}
			if err == nil {
				_, err = c.uint64("commit index")
			}
		case 2: // MsgApp: size, message
			var size uint64
			if size, err = c.uint64("message size"); err == nil {
				err = c.skip(size, "message")
			}
		default:
			err = fmt.Errorf("offset %d: unknown msgappv2 record type %d", c.off-1, typ)
		}
		if err != nil {
			return recs, fmt.Errorf("msgappv2 record #%d: %v", len(recs)-1, err)
		}
	}
	return recs, nil
}

// cursor reads big-endian framing fields from b.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) skip(n uint64, what string) error {
	if left := len(c.b) - c.off; n > uint64(left) {
		return fmt.Errorf("offset %d: %s of %d bytes overruns the %d bytes left", c.off, what, n, left)
	}
	c.off += int(n)
	return nil
}

func (c *cursor) uint64(what string) (uint64, error) {
	start := c.off
	if err := c.skip(8, what); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(c.b[start:]), nil
}

// encodeMemberJSON is json.Marshal of a *membership.Member, as etcd's
// AddMember writes a ConfChange's context; with param "promote", of the
// ConfigChangeContext PromoteMember writes.
func encodeMemberJSON(v interface{}, param string) ([]byte, error) {
	m := v.(*membership.Member)
	switch param {
	case "-":
		return json.Marshal(m)
	case "promote":
		return json.Marshal(&membership.ConfigChangeContext{Member: *m, IsPromote: true})
	}
	return nil, fmt.Errorf("bad memberjson param %q, want - or promote", param)
}

// decodeMemberJSON is json.Unmarshal as etcd's applyConfChange reads a
// context; a promotion must say isPromote.
func decodeMemberJSON(b []byte, param string) (interface{}, error) {
	var ctx membership.ConfigChangeContext
	if err := json.Unmarshal(b, &ctx); err != nil {
		return nil, err
	}
	if ctx.IsPromote != (param == "promote") {
		return nil, fmt.Errorf("isPromote is %v with param %q", ctx.IsPromote, param)
	}
	return &ctx.Member, nil
}

// encodeMembersJSON is the body of etcd's GET /members (peer handler):
// json.NewEncoder(w).Encode(cluster.Members()).
func encodeMembersJSON(v interface{}, _ string) ([]byte, error) {
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(v.([]*membership.Member))
	return buf.Bytes(), err
}

// decodeMembersJSON is how a joining etcd reads it (getClusterFromRemotePeers).
func decodeMembersJSON(b []byte, _ string) (interface{}, error) {
	var ms []*membership.Member
	err := json.Unmarshal(b, &ms)
	return ms, err
}
