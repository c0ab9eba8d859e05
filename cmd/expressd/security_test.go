package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// expressdPermissions is the least-privilege permission set of an expressd
// user for one machine (trigger stream, durable consumer, machine name),
// as documented in README.md (Reliability, Security). Task integrations add the subjects
// they request or publish to.
func expressdPermissions(stream, consumer, machine string) string {
	return `{
        publish: {
          allow: [
            # JetStream API: streams (created when absent, subjects merged), consumer, pulls
            "$JS.API.STREAM.INFO.` + stream + `", "$JS.API.STREAM.CREATE.` + stream + `", "$JS.API.STREAM.UPDATE.` + stream + `",
            "$JS.API.STREAM.INFO.EXPRESSD_RESULTS", "$JS.API.STREAM.CREATE.EXPRESSD_RESULTS",
            "$JS.API.STREAM.INFO.EXPRESSD_DLQ", "$JS.API.STREAM.CREATE.EXPRESSD_DLQ",
            "$JS.API.CONSUMER.CREATE.` + stream + `.` + consumer + `", "$JS.API.CONSUMER.CREATE.` + stream + `.` + consumer + `.>",
            "$JS.API.CONSUMER.DURABLE.CREATE.` + stream + `.` + consumer + `",
            "$JS.API.CONSUMER.INFO.` + stream + `.` + consumer + `",
            "$JS.API.CONSUMER.MSG.NEXT.` + stream + `.` + consumer + `",
            # acks, naks, in-progress and terms of the trigger's deliveries
            "$JS.ACK.` + stream + `.` + consumer + `.>",
            # results and DLQ copies
            "expressd.results.` + machine + `", "expressd.dlq.` + machine + `"
          ]
        }
        subscribe: {
          allow: [
            "_INBOX.>",
            "expressd.sync.` + machine + `"
          ]
        }
        # replies to sync requests (expressd.sync.<machine>)
        allow_responses: true
      }`
}

// writeTestPKI writes a throwaway CA, a server certificate for 127.0.0.1
// and a client certificate.
func writeTestPKI(t *testing.T, dir string) (ca, serverCert, serverKey, clientCert, clientKey string) {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "expressd test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	ca = write("ca.pem", "CERTIFICATE", caDER)
	serverCert, serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	clientCert, clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return
}

// TestSecurityDefaults: the HTTP listener and the embedded server listen on
// loopback unless told otherwise.
func TestSecurityDefaults(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(filepath.Join(dir, "m.asl.json"), []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("machines:\n  - name: m\n    definition: m.asl.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:8080" {
		t.Errorf("http.listen default = %q, want 127.0.0.1:8080", cfg.HTTP.Listen)
	}
	if cfg.NATS.Embedded == nil || !strings.HasPrefix(cfg.NATS.Embedded.Listen, "127.0.0.1:") {
		t.Errorf("nats.embedded default = %+v, want a 127.0.0.1 listener", cfg.NATS.Embedded)
	}
}

// TestSecurity runs `expressd serve` against an external nats-server that
// requires (a) TLS with a verified client certificate, (b) an nkey,
// (c) user/password, (d) user/password given in the URL — each time as a
// user holding only expressdPermissions — and checks that events in give
// results out (including a poison event's DLQ copy and a sync request), and
// that the secrets appear nowhere in the daemon's output. Creds files (JWT,
// operator mode) are not tested here.
func TestSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("security test: builds the binary and runs child processes")
	}
	nsBin := natsServerBin(t)
	bin := buildExpressd(t)
	for _, variant := range []string{"tls-client-cert", "nkey", "user-password", "password-in-url", "creds"} {
		t.Run(variant, func(t *testing.T) { runSecurity(t, nsBin, bin, variant) })
	}
}

func runSecurity(t *testing.T, nsBin, bin, variant string) {
	begin := time.Now()
	dir, logf := faultDir(t)
	const machine, stream, subject, consumer = "sec", "SEC", "sec.events", "expressd-sec"
	const password = "Pa55-w0rd-that-must-never-be-logged"
	const adminPassword = "admin-Secret-42"
	port := freePort(t)
	perms := expressdPermissions(stream, consumer, machine)
	var users, tlsBlock, natsSection string
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	var testOpts []nats.Option
	testOpts = append(testOpts, nats.UserInfo("admin", adminPassword))
	var secrets = []string{password, adminPassword}
	switch variant {
	case "tls-client-cert", "user-password", "password-in-url":
		users = `{user: expressd, password: "` + password + `", permissions: ` + perms + `}`
	case "nkey":
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		seed, _ := kp.Seed()
		secrets = append(secrets, string(seed))
		if err := os.WriteFile(filepath.Join(dir, "expressd.nk"), seed, 0o600); err != nil {
			t.Fatal(err)
		}
		users = `{nkey: ` + pub + `, permissions: ` + perms + `}`
	}
	switch variant {
	case "tls-client-cert":
		ca, sc, sk, cc, ck := writeTestPKI(t, dir)
		tlsBlock = fmt.Sprintf("tls {\n  cert_file: %q\n  key_file: %q\n  ca_file: %q\n  verify: true\n  timeout: 5\n}\n", sc, sk, ca)
		url = "tls://127.0.0.1:" + strconv.Itoa(port)
		natsSection = "nats:\n  url: " + url + "\n  user: expressd\n  password: " + password +
			"\n  tls:\n    ca: " + ca + "\n    cert: " + cc + "\n    key: " + ck + "\n"
		testOpts = append(testOpts, nats.RootCAs(ca), nats.ClientCert(cc, ck))
	case "nkey":
		natsSection = "nats:\n  url: " + url + "\n  nkey: expressd.nk\n"
	case "user-password":
		natsSection = "nats:\n  url: " + url + "\n  user: expressd\n  password: " + password + "\n"
	case "password-in-url":
		natsSection = "nats:\n  url: nats://expressd:" + password + "@127.0.0.1:" + strconv.Itoa(port) + "\n"
	}
	conf := fmt.Sprintf(`listen: 127.0.0.1:%d
jetstream { store_dir: %q }
%sauthorization {
  users = [
    {user: admin, password: %q}
    %s
  ]
}
`, port, filepath.Join(dir, "store"), tlsBlock, adminPassword, users)
	if variant == "creds" {
		// Operator mode: the expressd user's JWT carries the same
		// least-privilege permissions; expressd connects with a creds file.
		var seed string
		conf, seed = operatorConfig(t, dir, port, perms)
		secrets = append(secrets, seed)
		natsSection = "nats:\n  url: " + url + "\n  creds: expressd.creds\n"
		testOpts = []nats.Option{nats.UserCredentials(filepath.Join(dir, "admin.creds"))}
	}
	cf := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	srvLog, err := os.Create(filepath.Join(dir, "nats-server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer srvLog.Close()
	srv := startNatsProc(t, nsBin, port, srvLog, "-c", cf)

	// The machine rejects events with i < 0 at a Fail state; a poison event
	// exercises the DLQ publish.
	def := `{"StartAt":"Check","States":{
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericGreaterThanEquals":0,"Next":"Done"}],"Default":"Neg"},
  "Neg":{"Type":"Fail","Error":"Negative"},
  "Done":{"Type":"Pass","Result":"ok","ResultPath":"$.r","End":true}}}`
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", natsSection, httpAddr,
		machineYAML(machine, "sec.asl.json", stream, subject, 64, "5s", 5), "",
		map[string]string{"sec.asl.json": def})
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 30*time.Second)

	nc, js := testConn(t, url, testOpts...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 200
	events := makeEvents("sec", 0, n)
	events = append(events, testEvent{id: "sec-poison", data: []byte("not json")}, testEvent{id: "sec-neg", data: []byte(`{"i":-1}`)})
	if _, err := publishAll(ctx, js, subject, events, 2, 0); err != nil {
		t.Fatal(err)
	}
	stored := waitStored(t, ctx, js, uint64(len(events)), stream, consumer, 30*time.Second, func() error {
		if ch.exited() {
			return fmt.Errorf("expressd exited: %v", ch.err)
		}
		return nil
	})
	recs := readResultRecs(t, ctx, js, int(stored))
	lost := 0
	for _, ev := range events {
		if len(recs[ev.id]) == 0 {
			lost++
		}
	}
	if r := recs["sec-poison"]; len(r) == 0 || r[0].Error != "InvalidExecutionInput" {
		t.Errorf("poison event: %+v", r)
	}
	if r := recs["sec-neg"]; len(r) == 0 || r[0].Status != "FAILED" || r[0].Error != "Negative" {
		t.Errorf("failing event: %+v", r)
	}
	if s, err := js.Stream(ctx, natsjs.DLQStream); err != nil || s.CachedInfo().State.Msgs != 1 {
		t.Errorf("DLQ: %v, want 1 message", err)
	}
	if variant == "password-in-url" {
		// A server restart: the reconnect is logged (with the URL).
		srv.stop(syscall.SIGTERM)
		srv.start()
		deadline := time.Now().Add(20 * time.Second)
		for !nc.IsConnected() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		waitReady(t, ch, httpAddr, 20*time.Second)
		time.Sleep(300 * time.Millisecond) // the reconnect handler runs asynchronously
	}
	// A sync request: the reply crosses allow_responses.
	reply, err := nc.Request(natsjs.SyncPrefix+machine, []byte(`{"i":7}`), 10*time.Second)
	if err != nil {
		t.Errorf("sync request: %v", err)
	} else if !strings.Contains(string(reply.Data), `"SUCCEEDED"`) {
		t.Errorf("sync reply: %s", reply.Data)
	}
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ch.done:
	case <-time.After(20 * time.Second):
		t.Errorf("expressd did not exit within 20s of SIGTERM")
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output.log"))
	for _, s := range secrets {
		if strings.Contains(string(out), s) {
			t.Errorf("a secret (%.6s…) appears in the daemon's output", s)
		}
	}
	srvOut, _ := os.ReadFile(filepath.Join(dir, "nats-server.log"))
	if strings.Contains(string(srvOut), "Permissions Violation") {
		t.Errorf("the server reported permission violations for expressd:\n%s", grepLines(string(srvOut), "Permissions Violation"))
	}
	if lost != 0 {
		t.Errorf("%d of %d events without a result", lost, len(events))
	}
	t.Logf("security %s: events=%d, stored=%d, lost=%d, %s", variant, len(events), stored, lost, time.Since(begin).Round(time.Millisecond))
}

// operatorConfig writes the JWTs of an operator-mode server (operator,
// system account, an account with JetStream) and creds files for expressd
// (holding perms) and for the test's admin user; it returns the server
// config and expressd's user seed.
func operatorConfig(t *testing.T, dir string, port int, perms string) (string, string) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	opKP, err := nkeys.CreateOperator()
	must(err)
	opPub, _ := opKP.PublicKey()
	sysKP, _ := nkeys.CreateAccount()
	sysPub, _ := sysKP.PublicKey()
	accKP, _ := nkeys.CreateAccount()
	accPub, _ := accKP.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(opKP)
	must(err)
	sysJWT, err := jwt.NewAccountClaims(sysPub).Encode(opKP)
	must(err)
	ac := jwt.NewAccountClaims(accPub)
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accJWT, err := ac.Encode(opKP)
	must(err)
	user := func(name string, restrict bool) string {
		ukp, _ := nkeys.CreateUser()
		upub, _ := ukp.PublicKey()
		useed, _ := ukp.Seed()
		uc := jwt.NewUserClaims(upub)
		uc.Name = name
		if restrict {
			pub, sub := permissionSubjects(perms)
			if len(pub) < 10 || len(sub) != 2 {
				t.Fatalf("permission subjects not extracted: publish %v, subscribe %v", pub, sub)
			}
			uc.Permissions.Pub.Allow.Add(pub...)
			uc.Permissions.Sub.Allow.Add(sub...)
			uc.Permissions.Resp = &jwt.ResponsePermission{MaxMsgs: 1, Expires: time.Minute}
		}
		ujwt, err := uc.Encode(accKP)
		must(err)
		creds, err := jwt.FormatUserConfig(ujwt, useed)
		must(err)
		must(os.WriteFile(filepath.Join(dir, name+".creds"), creds, 0o600))
		return string(useed)
	}
	seed := user("expressd", true)
	user("admin", false)
	conf := fmt.Sprintf(`listen: 127.0.0.1:%d
jetstream { store_dir: %q }
operator: %q
system_account: %s
resolver: MEMORY
resolver_preload: {
  %s: %q
  %s: %q
}
`, port, filepath.Join(dir, "store"), opJWT, sysPub, sysPub, sysJWT, accPub, accJWT)
	return conf, seed
}

// permissionSubjects extracts the publish and subscribe subjects of a
// permission block written by expressdPermissions.
func permissionSubjects(perms string) (pub, sub []string) {
	pubPart, subPart, _ := strings.Cut(perms, "subscribe:")
	quoted := func(s string) []string {
		var out []string
		for _, f := range strings.Split(s, "\"") {
			f = strings.TrimSpace(f)
			if f != "" && !strings.ContainsAny(f, " ,:{}[]\n#") {
				out = append(out, f)
			}
		}
		return out
	}
	return quoted(pubPart), quoted(subPart)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
