// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/hex"

	"go.etcd.io/etcd/etcdserver/api/membership"
	"go.etcd.io/etcd/pkg/types"
)

// exampleMember is a member as etcd's AddMember puts it in a ConfChange.
func exampleMember() membership.Member {
	return membership.Member{
		ID: types.ID(0x4d7a6f1e9b2c3a01),
		RaftAttributes: membership.RaftAttributes{
			PeerURLs: []string{"https://10.0.0.4:2380", "https://[fd00::4]:2380"}},
		Attributes: membership.Attributes{
			Name:       "infra4",
			ClientURLs: []string{"https://10.0.0.4:2379"}},
	}
}

// addMembers covers every field's presence rule (omitempty, null against
// []), Go's string escaping, and the /members list.
func addMembers(b *builder) {
	m := func(suffix, param string, v membership.Member) *vector {
		return b.add("memberjson", suffix, param, &v)
	}
	m("minimal", "-", membership.Member{ID: 1}).
		want(hexOf(`{"id":1,"peerURLs":null}`))
	m("empty_lists", "-", membership.Member{ID: 2,
		RaftAttributes: membership.RaftAttributes{PeerURLs: []string{}},
		Attributes:     membership.Attributes{ClientURLs: []string{}}}).
		want(hexOf(`{"id":2,"peerURLs":[]}`))
	m("example", "-", exampleMember())
	learner := exampleMember()
	learner.IsLearner = true
	m("learner", "-", learner)
	m("promote", "promote", learner)
	m("max", "-", membership.Member{ID: types.ID(maxU64),
		RaftAttributes: membership.RaftAttributes{PeerURLs: []string{""}}})
	m("escapes", "-", membership.Member{ID: 3,
		RaftAttributes: membership.RaftAttributes{
			PeerURLs: []string{"http://h:1/?a=1&b=<2>"}},
		Attributes: membership.Attributes{
			Name: "\"q\" \\ \n\r\t\b\f\x01\x1f \u2028\u2029 é 😀 \u007f"}})

	list := func(suffix string, ms ...membership.Member) *vector {
		ps := []*membership.Member{}
		for i := range ms {
			ps = append(ps, &ms[i])
		}
		if len(ms) == 0 {
			ps = nil // an etcd with no members would encode nil
		}
		return b.add("membersjson", suffix, "-", ps)
	}
	list("none").want(hexOf("null\n"))
	list("one", exampleMember())
	// Sorted by ID, as etcd's cluster.Members() returns them.
	list("three", membership.Member{ID: 1,
		RaftAttributes: membership.RaftAttributes{PeerURLs: []string{"http://10.0.0.1:2380"}},
		Attributes:     membership.Attributes{Name: "infra1", ClientURLs: []string{"http://10.0.0.1:2379"}}},
		membership.Member{ID: 2, RaftAttributes: membership.RaftAttributes{
			PeerURLs: []string{"http://10.0.0.2:2380"}, IsLearner: true}},
		exampleMember())
}

// hexOf is a hand-written encoding for want.
func hexOf(text string) string {
	return hex.EncodeToString([]byte(text))
}
