// Command acorn-ferretdb runs FerretDB 1.24 with its embedded SQLite backend,
// giving machines without Docker a real MongoDB wire-protocol server.
//
// It embeds the public github.com/FerretDB/FerretDB/ferretdb package rather than
// `go install`-ing FerretDB's own command, whose binary panics at start when built
// outside FerretDB's repository (it expects a git-ignored version file).
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to accept MongoDB clients on")
	dataDir := flag.String("data-dir", "", "directory holding the SQLite databases (required)")
	synchronous := flag.String("synchronous", "full",
		"SQLite's synchronous setting: full (every commit is fsynced) or normal (commits survive "+
			"a crash of the process, not of the machine; fsyncs only at WAL checkpoints)")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("acorn-ferretdb: --data-dir is required")
	}
	if *synchronous != "full" && *synchronous != "normal" {
		log.Fatalf("acorn-ferretdb: --synchronous must be full or normal, not %q", *synchronous)
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		log.Fatalf("acorn-ferretdb: cannot create data dir %s: %v", *dataDir, err)
	}

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/?_pragma=synchronous(" + *synchronous + ")",
	})
	if err != nil {
		log.Fatalf("acorn-ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("acorn-ferretdb: listening on %s, data in %s, synchronous=%s", *listen, *dataDir, *synchronous)
	if err := server.Run(ctx); err != nil {
		log.Fatalf("acorn-ferretdb: %v", err)
	}
}
