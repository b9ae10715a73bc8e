// Command tlogcheck is an independent check of meshca's transparency log,
// built only on Go's golang.org/x/mod/sumdb/{tlog,note} (Debian's
// golang-golang-x-mod-dev) so that it shares no code with ca/tlog.c.
//
//	tlogcheck vectors
//	    Prints known-answer vectors (JSON) for entries "entry <i>",
//	    i = 0..299: leaf hashes, roots, inclusion and consistency proofs,
//	    tiles, C2SP tile paths and an Ed25519 signed note from a fixed seed.
//
//	tlogcheck verify --url BASE --vkey VKEY [--old FILE] [--serial S] [--save FILE]
//	    Verifies a live log at BASE (e.g. http://127.0.0.1:PORT/v1/log):
//	    the checkpoint's signature, every tile and entry bundle against the
//	    signed root, consistency with an older checkpoint, the inclusion
//	    proof of one certificate.  Prints "ok - ..." per check.
//
//	tlogcheck fixture DIR SIZE [--fork] [--proof-size M]
//	    Writes a static log for tests of verify (see fixture.go).
//
// Exit status: 0 all checks passed, 1 a verification failure, 2 a usage,
// network or HTTP error.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	tileHeight = 8
	tileWidth  = 1 << tileHeight
	maxSafeInt = 1<<53 - 1
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "vectors":
		if len(os.Args) != 2 {
			usage()
		}
		if err := vectors(os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "tlogcheck: %v\n", err)
			os.Exit(1)
		}
	case "verify":
		verify(os.Args[2:])
	case "fixture":
		if err := fixture(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "tlogcheck: %v\n", err)
			os.Exit(2)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: tlogcheck vectors\n"+
		"       tlogcheck verify --url BASE --vkey VKEY [--old FILE] [--serial S] [--save FILE]\n"+
		"       tlogcheck fixture DIR SIZE [--fork] [--proof-size M]\n")
	os.Exit(2)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func hashList(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h[:])
	}
	return out
}

// c2spPath is the C2SP tlog-tiles path of a tile: Go's Tile.Path without
// the height element, "entries" in place of level -1.
func c2spPath(level int, n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	if w != tileWidth {
		s += fmt.Sprintf(".p/%d", w)
	}
	l := "entries"
	if level >= 0 {
		l = strconv.Itoa(level)
	}
	return "tile/" + l + "/" + s
}

// goPathAsC2SP derives the same path from Go's own Tile.Path, as a cross
// check of c2spPath.
func goPathAsC2SP(level int, n int64, w int) string {
	p := tlog.Tile{H: tileHeight, L: level, N: n, W: w}.Path()
	p = strings.TrimPrefix(p, fmt.Sprintf("tile/%d/", tileHeight))
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// ---------------------------------------------------------------- vectors

type inclusionVec struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

type consistencyVec struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

type tileVec struct {
	Level int    `json:"level"`
	Index int64  `json:"index"`
	Width int    `json:"width"`
	Path  string `json:"path"`
	Data  string `json:"data,omitempty"`
}

type noteVec struct {
	Seed       string `json:"seed"`
	Name       string `json:"name"`
	Vkey       string `json:"vkey"`
	Checkpoint string `json:"checkpoint"`
	Note       string `json:"note"`
}

type vectorSet struct {
	Comment     string           `json:"comment"`
	Count       int              `json:"count"`
	Entry       string           `json:"entry_format"`
	LeafHashes  []string         `json:"leaf_hashes"`
	Roots       []string         `json:"roots"`
	Inclusion   []inclusionVec   `json:"inclusion"`
	Consistency []consistencyVec `json:"consistency"`
	Tiles       []tileVec        `json:"tiles"`
	TilePaths   []tileVec        `json:"tile_paths"`
	Note        noteVec          `json:"note"`
}

const vecCount = 300

// Sizes where proofs change shape: small trees, powers of two and their
// neighbours, tile boundaries, the full tree.
var vecSizes = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63,
	64, 65, 100, 127, 128, 129, 255, 256, 257, 299, 300}

func vectors(w io.Writer) error {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("hash %d not stored", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	v := vectorSet{
		Comment: "generated by tests/tools/tlogcheck (golang.org/x/mod/sumdb/tlog and note); hashes are standard base64",
		Count:   vecCount, Entry: "entry <i>",
	}
	for i := int64(0); i < vecCount; i++ {
		data := []byte(fmt.Sprintf("entry %d", i))
		hs, err := tlog.StoredHashes(i, data, reader)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
		lh := tlog.RecordHash(data)
		v.LeafHashes = append(v.LeafHashes, b64(lh[:]))
		root, err := tlog.TreeHash(i+1, reader)
		if err != nil {
			return err
		}
		v.Roots = append(v.Roots, b64(root[:]))
	}
	if err := addProofs(&v, reader); err != nil {
		return err
	}
	if err := addTiles(&v, reader); err != nil {
		return err
	}
	addTilePaths(&v)
	root, _ := tlog.TreeHash(vecCount, reader)
	if err := addNote(&v, root); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(&v)
}

func addProofs(v *vectorSet, r tlog.HashReader) error {
	for _, size := range vecSizes {
		seen := map[int64]bool{}
		for _, idx := range []int64{0, 1, size / 3, size / 2, size - 2, size - 1} {
			if idx < 0 || idx >= size || seen[idx] {
				continue
			}
			seen[idx] = true
			p, err := tlog.ProveRecord(size, idx, r)
			if err != nil {
				return err
			}
			v.Inclusion = append(v.Inclusion, inclusionVec{idx, size, hashList(p)})
		}
		for _, old := range vecSizes {
			if old > size {
				continue
			}
			p, err := tlog.ProveTree(size, old, r)
			if err != nil {
				return err
			}
			v.Consistency = append(v.Consistency, consistencyVec{old, size, hashList(p)})
		}
	}
	return nil
}

// addTiles lists the tiles of the whole tree (the rightmost of each level
// partial) with their contents as Go's tlog.ReadTileData gives them.
func addTiles(v *vectorSet, r tlog.HashReader) error {
	for level := 0; vecCount>>(tileHeight*level) > 0; level++ {
		n := int64(vecCount >> (tileHeight * level))
		for t := int64(0); t*tileWidth < n; t++ {
			w := tileWidth
			if n-t*tileWidth < tileWidth {
				w = int(n - t*tileWidth)
			}
			data, err := tlog.ReadTileData(tlog.Tile{H: tileHeight, L: level, N: t, W: w}, r)
			if err != nil {
				return err
			}
			v.Tiles = append(v.Tiles, tileVec{level, t, w, c2spPath(level, t, w), b64(data)})
		}
	}
	return nil
}

func addTilePaths(v *vectorSet) {
	cases := []struct {
		l int
		n int64
		w int
	}{
		{0, 0, 256}, {0, 0, 1}, {0, 0, 255}, {0, 1234, 256}, {1, 0, 7},
		{-1, 2000, 256}, {-1, 0, 44}, {0, 999, 256}, {0, 1000, 256},
		{2, 1001, 128}, {3, 999999, 256}, {0, 1000000, 3},
		{0, 123456789, 10}, {5, 1234567, 256}, {-1, 1000000000, 255},
	}
	for _, c := range cases {
		p := c2spPath(c.l, c.n, c.w)
		if g := goPathAsC2SP(c.l, c.n, c.w); g != p {
			panic(fmt.Sprintf("c2spPath %q disagrees with Go's Tile.Path %q", p, g))
		}
		v.TilePaths = append(v.TilePaths, tileVec{Level: c.l, Index: c.n, Width: c.w, Path: p})
	}
}

// seedSigner is the note signer of the fixed test key (seed bytes 0, 1, ...,
// 31) under name, with its verifier key and the seed.
func seedSigner(name string) (note.Signer, string, []byte, error) {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, "", nil, err
	}
	// The signer key format (see note.GenerateKey): the verifier key's
	// name and hash, then base64 of the algorithm byte and the seed.
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", name,
		strings.Split(vkey, "+")[1], b64(append([]byte{1}, seed...)))
	s, err := note.NewSigner(skey)
	return s, vkey, seed, err
}

func addNote(v *vectorSet, root tlog.Hash) error {
	const name = "example.com/log"
	signer, vkey, seed, err := seedSigner(name)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", name, vecCount, b64(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		return err
	}
	v.Note = noteVec{Seed: b64(seed), Name: name, Vkey: vkey, Checkpoint: text, Note: string(msg)}
	return nil
}

// ---------------------------------------------------------------- verify

// failure is a verification failure (exit 1); any other error is a usage,
// network or HTTP error (exit 2).
type failure struct{ msg string }

func (f *failure) Error() string { return f.msg }

func failf(format string, args ...interface{}) error {
	return &failure{fmt.Sprintf(format, args...)}
}

func ok(format string, args ...interface{}) {
	fmt.Printf("ok - "+format+"\n", args...)
}

type checkpoint struct {
	note   []byte
	origin string
	size   int64
	root   tlog.Hash
}

type verifier struct {
	base     string
	vkey     note.Verifier
	client   *http.Client
	tiles    map[string][]byte
	bundles  int
	netError error
}

func verify(args []string) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	base := fs.String("url", "", "log base URL, e.g. http://127.0.0.1:PORT/v1/log")
	vkey := fs.String("vkey", "", "the log's verifier key")
	old := fs.String("old", "", "a previously saved checkpoint note")
	serial := fs.String("serial", "", "a certificate serial to prove included")
	save := fs.String("save", "", "write the verified checkpoint note here")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || *base == "" || *vkey == "" {
		usage()
	}
	nv, err := note.NewVerifier(*vkey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tlogcheck: bad --vkey: %v\n", err)
		os.Exit(2)
	}
	v := &verifier{
		base:   strings.TrimRight(*base, "/"),
		vkey:   nv,
		client: &http.Client{Timeout: 30 * time.Second},
		tiles:  map[string][]byte{},
	}
	if err := v.run(*old, *serial, *save); err != nil {
		var f *failure
		if errors.As(err, &f) {
			fmt.Printf("not ok - %s\n", f.msg)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "tlogcheck: %v\n", err)
		os.Exit(2)
	}
}

func (v *verifier) run(oldFile, serial, save string) error {
	body, err := v.get("/checkpoint", 1<<20)
	if err != nil {
		return err
	}
	cp, err := v.openCheckpoint(body, "checkpoint")
	if err != nil {
		return err
	}
	hr := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, v)
	if err := v.checkTree(cp, hr); err != nil {
		return err
	}
	if err := v.checkEntries(cp, hr); err != nil {
		return err
	}
	if oldFile != "" {
		if err := v.checkOld(cp, hr, oldFile); err != nil {
			return err
		}
	}
	if serial != "" {
		if err := v.checkSerial(cp, hr, serial); err != nil {
			return err
		}
	}
	if save != "" {
		if err := saveFile(save, cp.note); err != nil {
			return err
		}
		ok("saved the verified checkpoint to %s", save)
	}
	return nil
}

// get fetches BASE+path.  A transport error or a status other than 200 is
// a network error; a body over max bytes is a verification failure.
func (v *verifier) get(path string, max int64) ([]byte, error) {
	body, status, err := v.getStatus(path, max)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", v.base+path, status)
	}
	return body, err
}

func (v *verifier) getStatus(path string, max int64) ([]byte, int, error) {
	resp, err := v.client.Get(v.base + path)
	if err != nil {
		v.netError = err
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		v.netError = err
		return nil, 0, fmt.Errorf("GET %s: %v", v.base+path, err)
	}
	if int64(len(body)) > max {
		return nil, 0, failf("GET %s: response over %d bytes", v.base+path, max)
	}
	return body, resp.StatusCode, nil
}

func (v *verifier) openCheckpoint(msg []byte, what string) (*checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v.vkey))
	if err != nil {
		return nil, failf("%s signature: %v", what, err)
	}
	ok("%s signature by %s", what, v.vkey.Name())
	cp, err := parseCheckpoint(n.Text)
	if err != nil {
		return nil, failf("%s body: %v", what, err)
	}
	cp.note = msg
	if cp.origin != v.vkey.Name() {
		fmt.Printf("# %s origin %q differs from the key name %q\n", what, cp.origin, v.vkey.Name())
	}
	ok("%s body: origin %s, size %d", what, cp.origin, cp.size)
	return cp, nil
}

// parseCheckpoint parses a C2SP tlog-checkpoint body: origin, decimal size
// (no sign, no leading zeros), base64 root hash, optional extension lines.
func parseCheckpoint(text string) (*checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return nil, errors.New("fewer than three lines, or no final newline")
	}
	for _, ext := range lines[3 : len(lines)-1] {
		if ext == "" {
			return nil, errors.New("empty extension line")
		}
	}
	cp := &checkpoint{origin: lines[0]}
	if cp.origin == "" {
		return nil, errors.New("empty origin")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("bad tree size %q", lines[1])
	}
	cp.size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize || b64(root) != lines[2] {
		return nil, fmt.Errorf("bad root hash %q", lines[2])
	}
	copy(cp.root[:], root)
	return cp, nil
}

// Height and ReadTiles make the verifier a tlog.TileReader over C2SP paths.
// tlog.TileHashReader authenticates every tile against the signed root.
func (v *verifier) Height() int { return tileHeight }

func (v *verifier) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := v.readTile(t.L, t.N, t.W, tileWidth*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		if len(data) < t.W*tlog.HashSize || len(data)%tlog.HashSize != 0 ||
			len(data) != t.W*tlog.HashSize && len(data) != tileWidth*tlog.HashSize {
			return nil, failf("%s: %d bytes for %d hashes", c2spPath(t.L, t.N, t.W), len(data), t.W)
		}
		out[i] = data[:t.W*tlog.HashSize]
	}
	return out, nil
}

func (v *verifier) SaveTiles([]tlog.Tile, [][]byte) {}

// readTile fetches a tile or entry bundle of width w, falling back to the
// full tile when the partial one is gone (C2SP lets a log delete partial
// tiles once the full one exists).  The caller checks the length.
func (v *verifier) readTile(level int, n int64, w int, max int64) ([]byte, error) {
	path := c2spPath(level, n, w)
	if data, ok := v.tiles[path]; ok {
		return data, nil
	}
	data, status, err := v.getStatus("/"+path, max)
	if err == nil && status == http.StatusNotFound && w < tileWidth {
		full := c2spPath(level, n, tileWidth)
		data, status, err = v.getStatus("/"+full, max)
	}
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		v.netError = fmt.Errorf("GET %s/%s: HTTP %d", v.base, path, status)
		return nil, v.netError
	}
	v.tiles[path] = data
	return data, nil
}

// hashErr classifies an error from the tile hash reader: tiles that fail
// to authenticate are a verification failure, a failed fetch is not.
func (v *verifier) hashErr(what string, err error) error {
	var f *failure
	if errors.As(err, &f) || v.netError == nil {
		return failf("%s: %v", what, err)
	}
	return err
}

func (v *verifier) checkTree(cp *checkpoint, hr tlog.HashReader) error {
	if cp.size == 0 {
		empty := sha256.Sum256(nil)
		if cp.root != tlog.Hash(empty) {
			return failf("empty tree's root is not SHA-256 of nothing")
		}
		ok("tree hash of the empty tree")
		return nil
	}
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		return v.hashErr("tree hash from tiles", err)
	}
	if th != cp.root {
		return failf("tree hash from tiles %s != checkpoint root %s", th, cp.root)
	}
	ok("tree hash over %d tiles", len(v.tiles))
	return nil
}

// checkEntries fetches every entry bundle and checks each entry's record
// hash against the authenticated level-0 hash of its index.
func (v *verifier) checkEntries(cp *checkpoint, hr tlog.HashReader) error {
	for start := int64(0); start < cp.size; start += tileWidth {
		w := tileWidth
		if cp.size-start < tileWidth {
			w = int(cp.size - start)
		}
		data, err := v.readTile(-1, start/tileWidth, w, tileWidth*(2+65535))
		if err != nil {
			return err
		}
		entries, err := splitBundle(data)
		if err != nil {
			return failf("%s: %v", c2spPath(-1, start/tileWidth, w), err)
		}
		if len(entries) != w && len(entries) != tileWidth {
			return failf("%s: %d entries, want %d", c2spPath(-1, start/tileWidth, w), len(entries), w)
		}
		if err := v.checkBundle(hr, start, entries[:w]); err != nil {
			return err
		}
		v.bundles++
	}
	ok("%d entries in %d bundles match their leaf hashes", cp.size, v.bundles)
	return nil
}

func (v *verifier) checkBundle(hr tlog.HashReader, start int64, entries [][]byte) error {
	idx := make([]int64, len(entries))
	for i := range entries {
		idx[i] = tlog.StoredHashIndex(0, start+int64(i))
	}
	hs, err := hr.ReadHashes(idx)
	if err != nil {
		return v.hashErr("leaf hashes", err)
	}
	for i, e := range entries {
		if tlog.RecordHash(e) != hs[i] {
			return failf("entry %d: record hash %s != leaf hash %s in the tree",
				start+int64(i), tlog.RecordHash(e), hs[i])
		}
	}
	return nil
}

// splitBundle splits a C2SP entry bundle: big-endian uint16 length, bytes.
func splitBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("truncated length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, errors.New("truncated entry")
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	return out, nil
}

func (v *verifier) checkOld(cp *checkpoint, hr tlog.HashReader, file string) error {
	msg, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	old, err := v.openCheckpoint(msg, "old checkpoint")
	if err != nil {
		return err
	}
	if old.origin != cp.origin {
		return failf("FORK or ROLLBACK: old checkpoint's origin %q != %q", old.origin, cp.origin)
	}
	if old.size > cp.size {
		return failf("FORK or ROLLBACK: the log shrank from %d to %d", old.size, cp.size)
	}
	if old.size == 0 {
		ok("consistency: the old tree was empty")
		return nil
	}
	proof, err := tlog.ProveTree(cp.size, old.size, hr)
	if err != nil {
		return v.hashErr("consistency proof from tiles", err)
	}
	if err := tlog.CheckTree(proof, cp.size, cp.root, old.size, old.root); err != nil {
		return failf("FORK or ROLLBACK: size %d root %s is not a prefix of size %d root %s: %v",
			old.size, old.root, cp.size, cp.root, err)
	}
	ok("consistency from size %d to %d (%d hashes from tiles)", old.size, cp.size, len(proof))
	return v.checkServerConsistency(cp, old, proof)
}

type consistencyResp struct {
	From        *int64   `json:"from"`
	To          *int64   `json:"to"`
	Consistency []string `json:"consistency"`
}

func (v *verifier) checkServerConsistency(cp, old *checkpoint, want tlog.TreeProof) error {
	body, err := v.get(fmt.Sprintf("/proof?from=%d&to=%d", old.size, cp.size), 1<<20)
	if err != nil {
		return err
	}
	var r consistencyResp
	if err := strictJSON(body, &r); err != nil {
		return failf("consistency proof response: %v", err)
	}
	if r.From == nil || r.To == nil || *r.From != old.size || *r.To != cp.size || r.Consistency == nil {
		return failf("consistency proof response: wrong or missing from/to/consistency: %s", body)
	}
	got, err := decodeHashes(r.Consistency)
	if err != nil {
		return failf("consistency proof response: %v", err)
	}
	if err := tlog.CheckTree(tlog.TreeProof(got), cp.size, cp.root, old.size, old.root); err != nil {
		return failf("FORK or ROLLBACK: the server's consistency proof %d -> %d fails: %v", old.size, cp.size, err)
	}
	if !sameHashes(got, want) {
		return failf("server consistency proof %v != computed %v", got, want)
	}
	ok("server consistency proof %d -> %d equals the computed one", old.size, cp.size)
	return nil
}

type inclusionResp struct {
	Index      *int64   `json:"index"`
	TreeSize   *int64   `json:"tree_size"`
	Entry      string   `json:"entry"`
	Inclusion  []string `json:"inclusion"`
	Checkpoint string   `json:"checkpoint"`
}

func (v *verifier) checkSerial(cp *checkpoint, hr tlog.HashReader, serial string) error {
	body, err := v.get("/proof?serial="+url.QueryEscape(serial), 1<<20)
	if err != nil {
		return err
	}
	var r inclusionResp
	if err := strictJSON(body, &r); err != nil {
		return failf("inclusion proof response: %v", err)
	}
	if r.Index == nil || r.TreeSize == nil || r.Inclusion == nil || r.Checkpoint == "" ||
		*r.Index < 0 || *r.Index >= *r.TreeSize {
		return failf("inclusion proof response: wrong or missing fields: %s", body)
	}
	pcp, err := v.openCheckpoint([]byte(r.Checkpoint), "serial proof's checkpoint")
	if err != nil {
		return err
	}
	if pcp.size != *r.TreeSize || pcp.origin != cp.origin {
		return failf("serial proof: tree_size %d / origin %q != its checkpoint's %d / %q",
			*r.TreeSize, cp.origin, pcp.size, pcp.origin)
	}
	entry, err := base64.StdEncoding.DecodeString(r.Entry)
	if err != nil {
		return failf("serial proof: entry is not base64: %v", err)
	}
	if err := checkCertEntry(entry, serial); err != nil {
		return failf("serial proof: entry: %v", err)
	}
	ok("serial %s: the entry is canonical JSON for that certificate", serial)
	proof, err := decodeHashes(r.Inclusion)
	if err != nil {
		return failf("serial proof: %v", err)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), pcp.size, pcp.root, *r.Index, tlog.RecordHash(entry)); err != nil {
		return failf("serial %s: inclusion proof of index %d in size %d fails: %v", serial, *r.Index, pcp.size, err)
	}
	ok("serial %s: inclusion proof of index %d in tree size %d", serial, *r.Index, pcp.size)
	return v.checkSerialAgainstTiles(cp, hr, pcp, *r.Index, proof)
}

// checkSerialAgainstTiles ties the proof's checkpoint to the verified one
// (a consistency proof either way) and recomputes the inclusion proof from
// the tiles of the proof's tree.
func (v *verifier) checkSerialAgainstTiles(cp *checkpoint, hr tlog.HashReader,
	pcp *checkpoint, index int64, got []tlog.Hash) error {
	phr := tlog.TileHashReader(tlog.Tree{N: pcp.size, Hash: pcp.root}, v)
	small, large, lhr := pcp, cp, hr
	if pcp.size > cp.size {
		small, large, lhr = cp, pcp, phr
	}
	if small.size > 0 {
		tp, err := tlog.ProveTree(large.size, small.size, lhr)
		if err != nil {
			return v.hashErr("consistency of the serial proof's tree", err)
		}
		if err := tlog.CheckTree(tp, large.size, large.root, small.size, small.root); err != nil {
			return failf("FORK or ROLLBACK: the serial proof's tree (size %d) and the checkpoint's (size %d) disagree: %v",
				pcp.size, cp.size, err)
		}
	}
	want, err := tlog.ProveRecord(pcp.size, index, phr)
	if err != nil {
		return v.hashErr("inclusion proof from tiles", err)
	}
	if !sameHashes(got, want) {
		return failf("server inclusion proof %v != computed %v", got, want)
	}
	ok("serial proof's tree is consistent with the checkpoint and its proof equals the computed one")
	return nil
}

func strictJSON(body []byte, v interface{}) error {
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

func decodeHashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := tlog.ParseHash(s)
		if err != nil || b64(h[:]) != s {
			return nil, fmt.Errorf("bad hash %q", s)
		}
		out[i] = h
	}
	return out, nil
}

func sameHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func saveFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tlogcheck-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ---------------------------------------------------------------- RFC 8785

// checkCertEntry checks that entry is exactly its own RFC 8785 form and
// an object with "type":"certificate" (or "host_certificate") and
// "serial":serial.
func checkCertEntry(entry []byte, serial string) error {
	d := json.NewDecoder(bytes.NewReader(entry))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	var canon bytes.Buffer
	if err := jcs(&canon, v); err != nil {
		return err
	}
	if !bytes.Equal(canon.Bytes(), entry) {
		return fmt.Errorf("not canonical: %q, canonical form %q", entry, canon.Bytes())
	}
	obj, _ := v.(map[string]interface{})
	if obj == nil || (obj["type"] != "certificate" && obj["type"] != "host_certificate") ||
		obj["serial"] != serial {
		return fmt.Errorf("no \"type\":\"certificate\" and \"serial\":%q in %s", serial, entry)
	}
	return nil
}

// jcs writes RFC 8785's form of a value decoded with UseNumber; only
// integers in the IEEE 754 safe range are accepted as numbers.
func jcs(b *bytes.Buffer, v interface{}) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		jcsString(b, x)
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil || n > maxSafeInt || n < -maxSafeInt {
			return fmt.Errorf("number %s is not a safe integer", x)
		}
		b.WriteString(strconv.FormatInt(n, 10))
	case []interface{}:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := jcs(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]interface{}:
		return jcsObject(b, x)
	default:
		return fmt.Errorf("unexpected %T", v)
	}
	return nil
}

func jcsObject(b *bytes.Buffer, m map[string]interface{}) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return utf16Less(keys[i], keys[j]) })
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		jcsString(b, k)
		b.WriteByte(':')
		if err := jcs(b, m[k]); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func utf16Less(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

func jcsString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
