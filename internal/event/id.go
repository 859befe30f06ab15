// Package event holds eventgate's domain types and their validation. It does no I/O.
package event

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Id prefixes name what an id refers to, so a pasted id explains itself.
const (
	PrefixEvent        = "evt_"
	PrefixSubscription = "sub_"
	PrefixDelivery     = "dlv_"
	PrefixAttempt      = "att_"
	PrefixKey          = "key_"
	PrefixPartner      = "ptn_"
	PrefixSource       = "src_"
	PrefixAudit        = "aud_"
	PrefixReplay       = "rpl_"
)

// crockford is the Crockford base32 alphabet: it sorts like the numbers it encodes.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var idGen struct {
	sync.Mutex
	lastMs uint64
	seq    [10]byte // 80 random bits, incremented within one millisecond
}

// NewID returns prefix + a 26-character id that sorts by creation time (a ULID).
// Ids made in the same millisecond by this process still sort in creation order.
func NewID(prefix string) string {
	idGen.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms > idGen.lastMs {
		idGen.lastMs = ms
		_, _ = rand.Read(idGen.seq[:])
	} else {
		incrementBytes(idGen.seq[:])
	}
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], idGen.lastMs<<16)
	copy(raw[6:], idGen.seq[:])
	idGen.Unlock()
	return prefix + encodeULID(raw)
}

func incrementBytes(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}

// encodeULID writes 128 bits as 26 base32 characters, most significant first.
func encodeULID(raw [16]byte) string {
	hi := binary.BigEndian.Uint64(raw[:8])
	lo := binary.BigEndian.Uint64(raw[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
