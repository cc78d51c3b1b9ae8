package main

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// testMessage is a server message of about n bytes of JSON whose rows
// compress poorly, so that it stays large once deflated.
func testMessage(op string, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	var b strings.Builder
	fmt.Fprintf(&b, `{"op":%q,"noteId":"n1","rows":[`, op)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `[%d,%d,"%x"]`, i, r.Int64(), r.Uint64())
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// deflate compresses data as a permessage-deflate payload.
func deflate(t *testing.T, data []byte) []byte {
	t.Helper()
	return deflateLevel(t, data, flate.BestSpeed)
}

// deflateLevel is deflate at a compression level.
func deflateLevel(t *testing.T, data []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\x00\x00\xff\xff"))
}

// testServer serves websockets on 127.0.0.1 the way Eddy does: small
// messages uncompressed, large ones as shared prepared messages,
// compressed once, split into frames. Each connection is sent welcome,
// a ping, then big (prepared, in order), then tooBig if set.
type testServer struct {
	*httptest.Server
	pongs chan string // payloads of the pongs received
}

func newTestServer(t *testing.T, welcome []byte, big []*websocket.PreparedMessage, tooBig []byte) *testServer {
	t.Helper()
	s := &testServer{pongs: make(chan string, 16)}
	up := websocket.Upgrader{EnableCompression: true, WriteBufferSize: 1024}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.SetPongHandler(func(p string) error {
			s.pongs <- p
			return nil
		})
		go func() { // gorilla handles pongs while reading
			for {
				if _, _, err := ws.NextReader(); err != nil {
					return
				}
			}
		}()
		ws.EnableWriteCompression(false)
		if ws.WriteMessage(websocket.TextMessage, welcome) != nil {
			return
		}
		if ws.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)) != nil {
			return
		}
		ws.EnableWriteCompression(true)
		for _, pm := range big {
			if ws.WritePreparedMessage(pm) != nil {
				return
			}
		}
		if tooBig != nil {
			ws.EnableWriteCompression(false)
			_ = ws.WriteMessage(websocket.TextMessage, tooBig)
		}
		<-r.Context().Done()
	}))
	t.Cleanup(s.Close)
	return s
}

func TestClient_ReadsFramesAndSharesDecoding(t *testing.T) {
	welcome := []byte(`{"op":"welcome","protocol":3}`)
	a, b := testMessage("paragraph", 40_000, 1), testMessage("note", 30_000, 2)
	var big []*websocket.PreparedMessage
	for _, data := range [][]byte{a, b, a} { // a twice: same bytes, decoded once
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
		if err != nil {
			t.Fatal(err)
		}
		big = append(big, pm)
	}
	want := [][]byte{welcome, a, b, a}
	for _, tt := range []struct {
		name    string
		shared  bool
		decoded int64 // 2 welcomes and, shared, the 2 distinct compressed messages
	}{
		{name: "Shared", shared: true, decoded: 2 + 2},
		{name: "NotShared", shared: false, decoded: 2 + 2*3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, welcome, big, nil)
			dec := newDecoder(tt.shared)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var got [2][]string
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			for i := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := openConn(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil, dialOptions{compress: true, decoder: dec})
					if err != nil {
						errs <- err
						return
					}
					defer c.ws.Close()
					if !c.compressed {
						errs <- fmt.Errorf("client %d: permessage-deflate not negotiated", i)
						return
					}
					for range want {
						dm, _, err := c.next()
						if err != nil {
							errs <- fmt.Errorf("client %d: %w", i, err)
							return
						}
						got[i] = append(got[i], string(dm.data))
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for i := range got {
				for j, w := range want {
					if got[i][j] != string(w) {
						t.Fatalf("client %d, message %d: got %.60q… (%d bytes), want %.60q… (%d bytes)",
							i, j, got[i][j], len(got[i][j]), w, len(w))
					}
				}
			}
			if n := dec.decoded.Load(); n != tt.decoded {
				t.Fatalf("decoded %d messages, want %d", n, tt.decoded)
			}
			for range got {
				select {
				case p := <-srv.pongs:
					if p != "are you there" {
						t.Fatalf("pong %q, want the ping's payload", p)
					}
				case <-ctx.Done():
					t.Fatal("no pong came back")
				}
			}
		})
	}
}

func TestClient_RefusesMessageOverMaxIncoming(t *testing.T) {
	welcome := []byte(`{"op":"welcome","protocol":3}`)
	tooBig := bytes.Repeat([]byte(" "), maxIncoming+1)
	srv := newTestServer(t, welcome, nil, tooBig)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := openConn(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil, dialOptions{compress: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.ws.Close()
	if _, _, err := c.next(); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.next()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("message over %d bytes", maxIncoming)) {
		t.Fatalf("error %v, want the message refused", err)
	}
}

func TestInflateAndParse(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		data := testMessage("paragraph", 5000, 3)
		dm, err := inflateAndParse(deflate(t, data), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dm.data, data) || dm.msg.Op != "paragraph" || dm.msg.NoteID != "n1" {
			t.Fatalf("got op %q note %q, %d bytes", dm.msg.Op, dm.msg.NoteID, len(dm.data))
		}
	})
	t.Run("OverMaxIncoming", func(t *testing.T) {
		bomb := deflate(t, bytes.Repeat([]byte(" "), maxIncoming+1))
		if _, err := inflateAndParse(bomb, nil); err == nil || !strings.Contains(err.Error(), "inflates to over") {
			t.Fatalf("error %v, want the message refused", err)
		}
	})
}

func TestDecodeCache_Get(t *testing.T) {
	decodeCounting := func(n *atomic.Int64, payload []byte) func() (*decodedMsg, error) {
		return func() (*decodedMsg, error) {
			n.Add(1)
			return inflateAndParse(payload, nil)
		}
	}
	t.Run("ForcedCollision", func(t *testing.T) {
		c := newDecodeCache(decodeCacheBudget)
		c.key = func([]byte) uint64 { return 42 } // every payload has the same key
		// Stored (uncompressed) deflate blocks of JSON of one length:
		// payloads of one length, so equal keys.
		one, two := []byte(`{"op":"note","noteId":"aaaa"}`), []byte(`{"op":"note","noteId":"bbbb"}`)
		p1, p2 := deflateLevel(t, one, flate.NoCompression), deflateLevel(t, two, flate.NoCompression)
		if len(p1) != len(p2) || bytes.Equal(p1, p2) {
			t.Fatal("test payloads must differ in content only")
		}
		var n atomic.Int64
		for range 3 {
			for _, tc := range []struct {
				payload, want []byte
			}{{p1, one}, {p2, two}} {
				dm, err := c.get(tc.payload, decodeCounting(&n, tc.payload))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(dm.data, tc.want) {
					t.Fatalf("got %s, want %s", dm.data, tc.want)
				}
			}
		}
		if n.Load() != 2 {
			t.Fatalf("decoded %d times, want 2", n.Load())
		}
	})
	t.Run("ConcurrentDecodeOnce", func(t *testing.T) {
		c := newDecodeCache(decodeCacheBudget)
		data := testMessage("paragraph", 50_000, 6)
		payload := deflate(t, data)
		var n atomic.Int64
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				// Each reader has its own copy, as each client reads its own socket.
				own := bytes.Clone(payload)
				dm, err := c.get(own, decodeCounting(&n, own))
				if err != nil || !bytes.Equal(dm.data, data) {
					t.Errorf("wrong decoding: %v", err)
				}
			})
		}
		wg.Wait()
		if n.Load() != 1 {
			t.Fatalf("decoded %d times, want 1", n.Load())
		}
	})
	t.Run("OverBudget", func(t *testing.T) {
		c := newDecodeCache(10_000) // about one message
		msgs := [][]byte{testMessage("note", 6000, 7), testMessage("note", 6000, 8), testMessage("note", 6000, 9)}
		var n atomic.Int64
		for range 2 {
			for _, data := range msgs {
				p := deflate(t, data)
				dm, err := c.get(p, decodeCounting(&n, p))
				if err != nil || !bytes.Equal(dm.data, data) {
					t.Fatalf("wrong decoding: %v", err)
				}
			}
		}
		if c.size > c.budget+6000*2 {
			t.Fatalf("cache holds %d bytes, budget %d", c.size, c.budget)
		}
		if n.Load() <= 3 {
			t.Fatalf("decoded %d times: the cache kept more than its budget", n.Load())
		}
	})
}
