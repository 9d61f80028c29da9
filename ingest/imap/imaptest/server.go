package imaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	imapclient "github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Options configure a [Server].
type Options struct {
	// TLS serves implicit TLS with a self-signed certificate for 127.0.0.1
	// and localhost ([Server.CertPEM]); otherwise the server speaks
	// plaintext, and clients must allow it (loopback only).
	TLS bool
	// NoIdle makes the server an IMAP4rev1 server without IDLE: the
	// capability is not advertised and the command is refused, so clients
	// must poll.
	NoIdle bool
	// NoMove makes the server an IMAP4rev1 server with UIDPLUS but
	// without MOVE: clients must move by COPY, STORE and UID EXPUNGE.
	NoMove bool
	// NoSpecialUse hides SPECIAL-USE attributes, so clients must find the
	// Sent and Junk folders by name.
	NoSpecialUse bool
	// Logger receives the server's error messages; nil discards them.
	Logger imapserver.Logger
}

// DefaultFolders are the folders [Server.AddUser] creates, with their
// SPECIAL-USE attributes.
var DefaultFolders = []Folder{
	{Name: "INBOX"},
	{Name: "Sent", SpecialUse: goimap.MailboxAttrSent},
	{Name: "Junk", SpecialUse: goimap.MailboxAttrJunk},
	{Name: "Drafts", SpecialUse: goimap.MailboxAttrDrafts},
}

// Folder is a folder and its SPECIAL-USE attribute ("" for none).
type Folder struct {
	Name       string
	SpecialUse goimap.MailboxAttr
}

// Server is go-imap's in-memory IMAP server listening on 127.0.0.1 with
// what scamscreen's tests and demo need around it: users with Sent and
// Junk folders carrying SPECIAL-USE attributes, SASL XOAUTH2, appending
// from the backend (which wakes IDLE clients at once), dropping every
// connection, and changing a folder's UIDVALIDITY. Methods are safe for
// concurrent use.
type Server struct {
	opts Options
	mem  *imapmemserver.Server
	srv  *imapserver.Server
	ln   net.Listener
	cert []byte // PEM, when TLS
	done chan struct{}

	mu    sync.Mutex
	users map[string]*user
	conns map[net.Conn]struct{}
}

type user struct {
	name, password string
	tokens         map[string]bool // accepted XOAUTH2 tokens
	u              *imapmemserver.User
	folders        map[string]goimap.MailboxAttr
}

// Start starts a server on a random loopback port.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, mem: imapmemserver.New(), users: map[string]*user{}, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	caps := goimap.CapSet{goimap.CapIMAP4rev1: {}, goimap.CapUIDPlus: {}, goimap.CapMove: {}, goimap.CapListExtended: {}, goimap.CapNamespace: {}}
	if opts.NoMove {
		delete(caps, goimap.CapMove)
		if !opts.NoIdle {
			caps[goimap.CapIdle] = struct{}{}
		}
	} else if !opts.NoIdle {
		caps[goimap.CapIMAP4rev2] = struct{}{}
	}
	if !opts.NoSpecialUse {
		caps[goimap.CapSpecialUse] = struct{}{}
	}
	logger := opts.Logger
	if logger == nil {
		logger = discard{}
	}
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{srv: s}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       logger,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if opts.TLS {
		certPEM, cert, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.cert = certPEM
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.ln = &trackingListener{Listener: ln, s: s}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

// Close stops the server and closes every connection.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port returns the server's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// CertPEM returns the self-signed certificate of a TLS server (nil
// without TLS).
func (s *Server) CertPEM() []byte { return slices.Clone(s.cert) }

// AddUser adds a user with [DefaultFolders].
func (s *Server) AddUser(name, password string) error {
	s.mu.Lock()
	if _, ok := s.users[name]; ok {
		s.mu.Unlock()
		return fmt.Errorf("imaptest: user %s exists", name)
	}
	u := &user{name: name, password: password, tokens: map[string]bool{}, u: imapmemserver.NewUser(name, password), folders: map[string]goimap.MailboxAttr{}}
	s.users[name] = u
	s.mem.AddUser(u.u)
	s.mu.Unlock()
	for _, f := range DefaultFolders {
		if err := s.CreateFolder(name, f.Name, f.SpecialUse); err != nil {
			return err
		}
	}
	return nil
}

// AddToken makes token a valid XOAUTH2 access token for the user.
func (s *Server) AddToken(name, token string) error {
	u, err := s.user(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	u.tokens[token] = true
	s.mu.Unlock()
	return nil
}

func (s *Server) user(name string) (*user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil {
		return nil, fmt.Errorf("imaptest: no user %s", name)
	}
	return u, nil
}

// CreateFolder creates a folder with an optional SPECIAL-USE attribute.
func (s *Server) CreateFolder(name, folder string, specialUse goimap.MailboxAttr) error {
	u, err := s.user(name)
	if err != nil {
		return err
	}
	if err := u.u.Create(folder, nil); err != nil {
		return err
	}
	s.mu.Lock()
	u.folders[folder] = specialUse
	s.mu.Unlock()
	return nil
}

// DeleteFolder deletes a folder and its mail.
func (s *Server) DeleteFolder(name, folder string) error {
	u, err := s.user(name)
	if err != nil {
		return err
	}
	if err := u.u.Delete(folder); err != nil {
		return err
	}
	s.mu.Lock()
	delete(u.folders, folder)
	s.mu.Unlock()
	return nil
}

// Append stores raw in folder as if it had just been delivered and
// returns its UID. Clients in IDLE on the folder are told at once.
func (s *Server) Append(name, folder string, raw []byte) (uint32, error) {
	return s.AppendAt(name, folder, raw, time.Time{})
}

// AppendAt is [Server.Append] with a given arrival time (INTERNALDATE;
// zero means now) and flags.
func (s *Server) AppendAt(name, folder string, raw []byte, arrival time.Time, flags ...goimap.Flag) (uint32, error) {
	u, err := s.user(name)
	if err != nil {
		return 0, err
	}
	data, err := u.u.Append(folder, bytes.NewReader(raw), &goimap.AppendOptions{Time: arrival, Flags: flags})
	if err != nil {
		return 0, err
	}
	return uint32(data.UID), nil
}

// Status returns the number of mails and the UIDVALIDITY of a folder.
func (s *Server) Status(name, folder string) (messages, uidValidity uint32, err error) {
	u, err := s.user(name)
	if err != nil {
		return 0, 0, err
	}
	st, err := u.u.Status(folder, &goimap.StatusOptions{NumMessages: true, UIDValidity: true})
	if err != nil {
		return 0, 0, err
	}
	return *st.NumMessages, st.UIDValidity, nil
}

// Flags returns the flags of the mail with uid in folder.
func (s *Server) Flags(name, folder string, uid uint32) ([]goimap.Flag, error) {
	c, err := s.Client(name)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, err
	}
	bufs, err := c.Fetch(goimap.UIDSetNum(goimap.UID(uid)), &goimap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, err
	}
	if len(bufs) != 1 {
		return nil, fmt.Errorf("imaptest: no mail with uid %d in %s", uid, folder)
	}
	return bufs[0].Flags, nil
}

// Client returns a client logged in as the user; the caller closes it.
func (s *Server) Client(name string) (*imapclient.Client, error) {
	u, err := s.user(name)
	if err != nil {
		return nil, err
	}
	var c *imapclient.Client
	if s.opts.TLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.cert)
		c, err = imapclient.DialTLS(s.Addr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	} else {
		c, err = imapclient.DialInsecure(s.Addr(), nil)
	}
	if err != nil {
		return nil, err
	}
	if err := c.Login(u.name, u.password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// DropConnections closes every client connection at once, as a crashing
// server or a broken network would, and returns how many it closed. The
// server keeps listening.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return len(conns)
}

// Connections returns how many client connections are open.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// BumpUIDValidity recreates folder with the same mails (bytes, flags and
// arrival times), as a server migration does: every mail gets a new UID
// under a new UIDVALIDITY. Then it drops every connection, as a real
// server ends sessions that have the folder selected.
func (s *Server) BumpUIDValidity(name, folder string) (uint32, error) {
	u, err := s.user(name)
	if err != nil {
		return 0, err
	}
	c, err := s.Client(name)
	if err != nil {
		return 0, err
	}
	sel, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		c.Close()
		return 0, err
	}
	var bufs []*imapclient.FetchMessageBuffer
	if sel.NumMessages > 0 {
		var all goimap.SeqSet
		all.AddRange(1, 0)
		bufs, err = c.Fetch(all, &goimap.FetchOptions{
			UID: true, Flags: true, InternalDate: true,
			BodySection: []*goimap.FetchItemBodySection{{Peek: true}},
		}).Collect()
		if err != nil {
			c.Close()
			return 0, err
		}
	}
	c.Close()
	sort.Slice(bufs, func(i, j int) bool { return bufs[i].UID < bufs[j].UID })
	s.mu.Lock()
	attr := u.folders[folder]
	s.mu.Unlock()
	if err := s.DeleteFolder(name, folder); err != nil {
		return 0, err
	}
	if err := s.CreateFolder(name, folder, attr); err != nil {
		return 0, err
	}
	for _, b := range bufs {
		var raw []byte
		for _, sec := range b.BodySection {
			raw = sec.Bytes
		}
		flags := slices.DeleteFunc(slices.Clone(b.Flags), func(f goimap.Flag) bool { return f == "\\Recent" })
		if _, err := s.AppendAt(name, folder, raw, b.InternalDate, flags...); err != nil {
			return 0, err
		}
	}
	s.DropConnections()
	_, uv, err := s.Status(name, folder)
	return uv, err
}

// Mailbox returns the configuration of a mailbox on this server for user,
// with id as its mailbox id. It writes the password (and for a TLS server
// the certificate) into dir, since configurations hold secrets only as
// files or environment variables.
func (s *Server) Mailbox(id, name, dir string) (imap.Mailbox, error) {
	u, err := s.user(name)
	if err != nil {
		return imap.Mailbox{}, err
	}
	pw := filepath.Join(dir, id+".password")
	if err := os.WriteFile(pw, []byte(u.password+"\n"), 0o600); err != nil {
		return imap.Mailbox{}, err
	}
	m := imap.Mailbox{
		ID:       id,
		Host:     "127.0.0.1",
		Port:     s.Port(),
		Username: name,
		Password: config.SecretFromFile(pw),
	}
	if s.opts.TLS {
		ca := filepath.Join(dir, id+".ca.pem")
		if err := os.WriteFile(ca, s.cert, 0o600); err != nil {
			return imap.Mailbox{}, err
		}
		m.TLS, m.CAFile = imap.TLSImplicit, ca
	} else {
		m.TLS, m.AllowPlaintext = imap.TLSNone, true
	}
	return m, nil
}

// session is a memserver session with this server's users, folder
// attributes, XOAUTH2 and optional IDLE refusal.
type session struct {
	*imapmemserver.UserSession
	srv  *Server
	user *user
}

var (
	_ imapserver.SessionIMAP4rev2 = (*session)(nil)
	_ imapserver.SessionSASL      = (*session)(nil)
)

func (s *session) Login(username, password string) error {
	u, err := s.srv.user(username)
	if err != nil {
		return imapserver.ErrAuthFailed
	}
	if err := u.u.Login(username, password); err != nil {
		return err
	}
	s.user = u
	s.UserSession = imapmemserver.NewUserSession(u.u)
	return nil
}

func (s *session) AuthenticateMechanisms() []string { return []string{"PLAIN", "XOAUTH2"} }

func (s *session) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return imapserver.ErrAuthFailed
			}
			return s.Login(username, password)
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{sess: s}, nil
	}
	return nil, &goimap.Error{Type: goimap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// xoauth2Server checks "user=...^Aauth=Bearer <token>^A^A".
type xoauth2Server struct {
	sess   *session
	failed bool
}

var xoauthRe = regexp.MustCompile("^user=([^\x01]*)\x01auth=Bearer ([^\x01]*)\x01\x01$")

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	m := xoauthRe.FindSubmatch(resp)
	if m != nil {
		u, err := x.sess.srv.user(string(m[1]))
		if err == nil {
			x.sess.srv.mu.Lock()
			ok := u.tokens[string(m[2])]
			x.sess.srv.mu.Unlock()
			if ok {
				x.sess.user = u
				x.sess.UserSession = imapmemserver.NewUserSession(u.u)
				return nil, true, nil
			}
		}
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

func (s *session) Create(name string, options *goimap.CreateOptions) error {
	var attr goimap.MailboxAttr
	if options != nil && len(options.SpecialUse) > 0 {
		attr = options.SpecialUse[0]
	}
	return s.srv.CreateFolder(s.user.name, name, attr)
}

func (s *session) Delete(name string) error { return s.srv.DeleteFolder(s.user.name, name) }

func (s *session) Rename(oldName, newName string, options *goimap.RenameOptions) error {
	if err := s.UserSession.Rename(oldName, newName, options); err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.user.folders[newName] = s.user.folders[oldName]
	delete(s.user.folders, oldName)
	s.srv.mu.Unlock()
	return nil
}

// List lists folders with their SPECIAL-USE attributes; go-imap's
// in-memory server keeps none.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *goimap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&goimap.ListData{Attrs: []goimap.MailboxAttr{goimap.MailboxAttrNoSelect}, Delim: '/'})
	}
	s.srv.mu.Lock()
	type entry struct {
		name string
		attr goimap.MailboxAttr
	}
	var l []entry
	for name, attr := range s.user.folders {
		l = append(l, entry{name, attr})
	}
	s.srv.mu.Unlock()
	sort.Slice(l, func(i, j int) bool { return l[i].name < l[j].name })
	for _, e := range l {
		match := false
		for _, p := range patterns {
			if imapserver.MatchList(e.name, '/', ref, p) {
				match = true
				break
			}
		}
		if !match {
			continue
		}
		data := goimap.ListData{Mailbox: e.name, Delim: '/'}
		if e.attr != "" && !s.srv.opts.NoSpecialUse {
			data.Attrs = append(data.Attrs, e.attr)
		} else if options != nil && options.SelectSpecialUse {
			continue
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

// idleTick is how often IDLE looks for updates.
const idleTick = 5 * time.Millisecond

// Idle sends updates while the client idles. go-imap's own tracker only
// wakes up for updates queued after IDLE began, so a mail delivered
// between the client's last command and its IDLE would wait for the next
// one; this loop sends whatever is queued, at once and then every
// idleTick, like a real server does.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if s.srv.opts.NoIdle {
		return &goimap.Error{Type: goimap.StatusResponseTypeBad, Text: "IDLE not supported"}
	}
	t := time.NewTicker(idleTick)
	defer t.Stop()
	for {
		if err := s.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// trackingListener remembers accepted connections so they can be dropped.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

// idleCap finds the IDLE capability in CAPABILITY responses.
var idleCap = regexp.MustCompile(` IDLE([ \]\r])`)

func (c *trackedConn) Write(b []byte) (int, error) {
	if c.s.opts.NoIdle && bytes.Contains(b, []byte("CAPABILITY")) {
		if _, err := c.Conn.Write(idleCap.ReplaceAll(b, []byte("$1"))); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

type discard struct{}

func (discard) Printf(string, ...any) {}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned() ([]byte, tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "imaptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return certPEM, cert, err
}
