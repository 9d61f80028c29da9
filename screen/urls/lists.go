package urls

import "strings"

// The fixed lists of this file are code, not configuration: each entry was
// chosen by hand, and the operator's own additions go into the blocklist or
// the trusted set of [Options]. They are switch statements so that no
// package state exists and a lookup costs a few comparisons.

// bareTLD reports whether a top-level domain is common enough in real bare
// domains (written without scheme or www) that "word.tld" in a message is
// probably a domain. Top-level domains that are also everyday words or
// file extensions (in, it, at, to, is, be, no, us, me, so, do, my, am, as,
// by, la, id, md, py, sh, rs, ps, pl, zip, mov, now, you, fun, one, ...)
// are left out: "home.so", "do.it" or "notes.md" need a path, a www or a
// scheme to count.
func bareTLD(tld string) bool {
	switch tld {
	case "com", "net", "org", "info", "biz", "jp", "top", "xyz", "icu", "cn", "cc",
		"buzz", "click", "monster", "sbs", "cyou", "cfd", "bond", "rest", "tk", "ml",
		"ga", "cf", "gq", "su", "shop", "online", "site", "club", "vip", "work", "app",
		"dev", "page", "asia", "tokyo", "osaka", "nagoya", "yokohama", "store", "tech",
		"cloud", "link", "website", "space", "pw", "ws", "ru", "uk", "de", "fr", "kr",
		"tw", "hk", "sg", "ph", "vn", "th", "io", "ai", "co", "ly", "gd", "gy", "nu",
		"ms", "gl", "ee", "mobi", "eu", "es", "nl", "ca", "au", "br", "mx", "ch", "se",
		"fi", "dk", "cz", "sk", "hu", "ro", "ua", "kz", "tr", "ir", "sa", "ae", "il",
		"za", "ng", "ke", "pk", "bd", "lk", "np", "nz", "tv", "fm", "gg", "live",
		"news", "email", "network", "support", "center", "services", "company":
		return true
	}
	return false
}

// riskyTLD reports whether a top-level domain is over-represented in
// phishing relative to its legitimate use. Kept deliberately short: .cn and
// .top are named by the Council of Anti-Phishing Japan (PEERS.md §1.4.1);
// the rest are the cheap gTLDs that abuse reports (Spamhaus, Interisle)
// rank highest, and the defunct Freenom ccTLDs. It is a weak signal: real
// shops use these too. Not listed on purpose: .shop, .online, .site (heavy
// legitimate use in Japan), .com.
func riskyTLD(tld string) bool {
	switch tld {
	case "top", "xyz", "icu", "cn", "cc", "buzz", "click", "monster", "sbs", "cyou",
		"cfd", "bond", "rest", "tk", "ml", "ga", "cf", "gq", "su", "zip", "mov":
		return true
	}
	return false
}

// shortenerHost reports whether a lower-case host is a URL shortener, whose
// link hides the destination. Brand-owned shorteners (amzn.to, a.co,
// lin.ee, aka.ms, apple.co, g.co, youtu.be) are genuine brand domains in
// brands.yaml instead.
func shortenerHost(host string) bool {
	host = strings.TrimPrefix(host, "www.")
	switch host {
	case "bit.ly", "j.mp", "bitly.com", "t.co", "tinyurl.com", "is.gd", "v.gd",
		"ow.ly", "buff.ly", "cutt.ly", "rebrand.ly", "x.gd", "t.ly", "rb.gy",
		"shorturl.at", "tiny.cc", "bit.do", "goo.gl", "qr.paps.jp", "s.id",
		"reurl.cc", "ux.nu", "kutt.it", "tiny.one", "shorturl.asia", "lnkd.in",
		"ift.tt", "dlvr.it", "t.cn", "u.to", "clck.ru", "cli.gs", "short.gy":
		return true
	}
	return false
}

// freeHostSuffix returns the entry when a lower-case host is a user site on
// free or self-service hosting that phishing kits use because the pages go
// up in minutes under a reputable parent domain. Only subdomains match
// (github.io itself is GitHub's page). Amazon S3 is matched separately, and
// SendGrid click hosts only with a brand signal, both in the analyzer.
func freeHostSuffix(host string) (string, bool) {
	for i := strings.IndexByte(host, '.'); i >= 0; {
		s := host[i+1:]
		switch s {
		case "web.app", "firebaseapp.com", "github.io", "netlify.app", "vercel.app",
			"pages.dev", "workers.dev", "r2.dev", "duckdns.org", "ngrok.io",
			"ngrok-free.app", "ngrok.app", "herokuapp.com", "glitch.me", "blogspot.com",
			"000webhostapp.com", "weebly.com", "wixsite.com", "webflow.io", "repl.co",
			"replit.app", "azurewebsites.net", "web.core.windows.net",
			"blob.core.windows.net", "storage.googleapis.com",
			"firebasestorage.googleapis.com", "ipfs.io", "dweb.link", "surge.sh",
			"onrender.com", "fly.dev", "framer.app", "godaddysites.com", "square.site",
			"gitbook.io", "notion.site", "wordpress.com", "jimdofree.com",
			"trycloudflare.com", "loca.lt", "serveo.net":
			return s, true
		}
		j := strings.IndexByte(s, '.')
		if j < 0 {
			break
		}
		i += j + 1
	}
	switch host {
	case "forms.gle", "storage.googleapis.com", "firebasestorage.googleapis.com":
		// Google Forms short links and bucket paths: the page is the user's.
		return host, true
	}
	return "", false
}

// s3Host reports whether a host is an Amazon S3 bucket or S3 website
// endpoint (bucket.s3.amazonaws.com, s3.ap-northeast-1.amazonaws.com,
// bucket.s3-website-us-east-1.amazonaws.com, ...). Other amazonaws.com hosts
// (APIs, EC2 names) are not flagged: legitimate mail links to them less
// often than phishing does, but they are not self-service web pages.
func s3Host(host string) bool {
	if !strings.HasSuffix(host, ".amazonaws.com") {
		return false
	}
	for l := range strings.SplitSeq(host[:len(host)-len(".amazonaws.com")], ".") {
		if l == "s3" || strings.HasPrefix(l, "s3-") {
			return true
		}
	}
	return false
}

// sendgridClick reports whether a host is a SendGrid click-tracking host
// (u123.ct.sendgrid.net, ct.sendgrid.net). Legitimate bulk mail uses them
// all the time, so they count only when the same message also imitates a
// brand.
func sendgridClick(host string) bool {
	return host == "ct.sendgrid.net" || strings.HasSuffix(host, ".ct.sendgrid.net")
}

// redirectorPath reports whether a URL on a genuine domain is an open
// redirect that phishing uses to borrow the domain's reputation: Google's
// /url?q= and /amp/s/, and Google Translate's proxy. The Council of
// Anti-Phishing Japan counted Google Translate URLs in about 8.5% of
// reports in July 2025 (PEERS.md §1.4.1).
func redirectorPath(host, path string) bool {
	switch {
	case strings.HasSuffix(host, ".translate.goog"):
		return true
	case host == "translate.google.com" || strings.HasPrefix(host, "translate.google."):
		return strings.HasPrefix(path, "/translate?") || strings.HasPrefix(path, "/website?")
	case host == "google.com" || host == "www.google.com" || host == "google.co.jp" || host == "www.google.co.jp":
		return strings.HasPrefix(path, "/url?") || strings.HasPrefix(path, "/amp/s/")
	}
	return false
}

// isFiller reports whether w is a word that phishing domains add to a brand
// name to look official ("amazon-secure-login", "rakuten-card-jp",
// "myjcb"), in English or romanised Japanese. A brand token next to other
// words ("apple-pie-recipes", "amazon-adsystem") is not a look-alike.
func isFiller(w string) bool {
	switch w {
	case "jp", "japan", "jpn", "co", "com", "net", "www", "login", "logon", "signin",
		"sign", "secure", "security", "safe", "safety", "account", "accounts", "acct",
		"verify", "verification", "confirm", "confirmation", "support", "help", "service",
		"services", "svc", "update", "updates", "card", "cards", "pay", "payment",
		"payments", "bank", "banking", "info", "information", "mail", "web", "id", "my",
		"official", "center", "centre", "check", "auth", "user", "online",
		"member", "members", "point", "points", "customer", "customers", "care", "app",
		"apps", "home", "portal", "site", "shop", "store", "prime", "client",
		"notice", "notify", "alert", "alerts", "cs", "mobile", "smart", "go", "direct",
		"reset", "unlock", "recovery", "billing", "bill", "invoice", "refund", "delivery",
		"tracking", "track", "status", "team", "desk", "access", "cloud", "express",
		"premium", "plus", "global", "group", "corp", "inc", "ltd", "hd", "new",
		"kakunin", "shiharai", "tetsuzuki", "tetuzuki", "kaiin", "riyou", "riyo",
		"seikyu", "seikyuu", "haisou", "fuzai", "honnin", "anshin", "mypage",
		"renraku", "oshirase", "kanri", "teishi", "saikai", "henkou":
		return true
	}
	return false
}

// maxFiller is the length of the longest word isFiller accepts.
const maxFiller = len("confirmation")
