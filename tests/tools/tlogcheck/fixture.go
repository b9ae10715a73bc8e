package main

// tlogcheck fixture DIR SIZE [--fork] [--proof-size M]
//
// Writes a static C2SP log for tests of "tlogcheck verify" (served by
// tests/tools/tlog-fixture-server.js): SIZE entries
// {"serial":"<i>","type":"certificate"} (with "fork":1 first under --fork),
// DIR/checkpoint signed by the vectors' key (seed 0..31, name
// example.com/log), DIR/vkey, full and partial tiles and entry bundles,
// DIR/proof/from-A-to-SIZE.json for every A, and
// DIR/proof/serial-S.json with inclusion proofs in the tree of size M
// (default SIZE) under a checkpoint for M.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const fixtureOrigin = "example.com/log"

type memLog struct {
	entries [][]byte
	stored  []tlog.Hash
}

func (m *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m.stored)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = m.stored[x]
	}
	return out, nil
}

func fixture(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: tlogcheck fixture DIR SIZE [--fork] [--proof-size M]")
	}
	dir := args[0]
	size, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || size < 1 {
		return fmt.Errorf("bad size %q", args[1])
	}
	fs := flag.NewFlagSet("fixture", flag.ContinueOnError)
	fork := fs.Bool("fork", false, "a different log of the same shape")
	proofSize := fs.Int64("proof-size", size, "tree size of the serial proofs")
	if err := fs.Parse(args[2:]); err != nil || *proofSize < 1 || *proofSize > size {
		return errors.New("bad fixture flags")
	}
	m := &memLog{}
	for i := int64(0); i < size; i++ {
		e := fmt.Sprintf(`{"serial":"%d","type":"certificate"}`, i)
		if *fork {
			e = `{"fork":1,` + e[1:]
		}
		hs, err := tlog.StoredHashes(i, []byte(e), m)
		if err != nil {
			return err
		}
		m.entries = append(m.entries, []byte(e))
		m.stored = append(m.stored, hs...)
	}
	signer, vkey, _, err := seedSigner(fixtureOrigin)
	if err != nil {
		return err
	}
	return writeFixture(dir, m, size, *proofSize, signer, vkey)
}

func writeFixture(dir string, m *memLog, size, proofSize int64, signer note.Signer, vkey string) error {
	cp, err := signedCheckpoint(m, size, signer)
	if err != nil {
		return err
	}
	if err := put(dir, "checkpoint", cp); err != nil {
		return err
	}
	if err := put(dir, "vkey", []byte(vkey+"\n")); err != nil {
		return err
	}
	if err := writeTiles(dir, m, size); err != nil {
		return err
	}
	if err := writeBundles(dir, m, size); err != nil {
		return err
	}
	if err := writeConsistency(dir, m, size); err != nil {
		return err
	}
	return writeInclusion(dir, m, proofSize, signer)
}

func signedCheckpoint(m *memLog, size int64, signer note.Signer) ([]byte, error) {
	root, err := tlog.TreeHash(size, m)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", fixtureOrigin, size, b64(root[:]))
	return note.Sign(&note.Note{Text: text}, signer)
}

func put(dir, name string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// writeTiles writes every full tile and, like a log that keeps them, the
// partial tiles of the final tree only.
func writeTiles(dir string, m *memLog, size int64) error {
	for level := 0; size>>(tileHeight*level) > 0; level++ {
		n := size >> (tileHeight * level)
		for t := int64(0); t*tileWidth < n; t++ {
			w := int(n - t*tileWidth)
			if w > tileWidth {
				w = tileWidth
			}
			data, err := tlog.ReadTileData(tlog.Tile{H: tileHeight, L: level, N: t, W: w}, m)
			if err != nil {
				return err
			}
			if err := put(dir, c2spPath(level, t, w), data); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeBundles(dir string, m *memLog, size int64) error {
	for start := int64(0); start < size; start += tileWidth {
		end := start + tileWidth
		if end > size {
			end = size
		}
		var b []byte
		for _, e := range m.entries[start:end] {
			b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
			b = append(b, e...)
		}
		if err := put(dir, c2spPath(-1, start/tileWidth, int(end-start)), b); err != nil {
			return err
		}
	}
	return nil
}

func writeConsistency(dir string, m *memLog, size int64) error {
	for old := int64(1); old <= size; old++ {
		p, err := tlog.ProveTree(size, old, m)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]interface{}{
			"from": old, "to": size, "consistency": hashList(p),
		})
		if err := put(dir, fmt.Sprintf("proof/from-%d-to-%d.json", old, size), body); err != nil {
			return err
		}
	}
	return nil
}

func writeInclusion(dir string, m *memLog, size int64, signer note.Signer) error {
	cp, err := signedCheckpoint(m, size, signer)
	if err != nil {
		return err
	}
	for i := int64(0); i < size; i++ {
		p, err := tlog.ProveRecord(size, i, m)
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]interface{}{
			"index": i, "tree_size": size, "entry": b64(m.entries[i]),
			"inclusion": hashList(p), "checkpoint": string(cp),
		})
		if err := put(dir, fmt.Sprintf("proof/serial-%d.json", i), body); err != nil {
			return err
		}
	}
	return nil
}
