"""A scripted imaplib session against Postroom: every command Postroom implements, checked here and
reported as JSON for the Node test to assert on. Usage: imaplib_session.py PORT TLSPORT"""
import base64, imaplib, json, socket, ssl, sys

port, tls_port = int(sys.argv[1]), int(sys.argv[2])
out = {}
imaplib.Commands.setdefault('ID', ('NONAUTH', 'AUTH', 'SELECTED'))
imaplib.Commands.setdefault('MOVE', ('SELECTED',))
imaplib.Commands.setdefault('IDLE', ('AUTH', 'SELECTED'))

def ok(name, typ_data):
    typ, data = typ_data
    out[name] = [typ, [d.decode('utf-8', 'replace') if isinstance(d, bytes) else [x.decode('utf-8', 'replace') if isinstance(x, bytes) else x for x in d] if isinstance(d, tuple) else d for d in data]]
    return data

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

m = imaplib.IMAP4('127.0.0.1', port)
out['capabilities'] = list(m.capabilities)
ok('starttls', m.starttls(ssl_context=ctx))
out['capabilities_tls'] = list(m.capabilities)
ok('id', m._simple_command('ID', '("name" "imaplib")'))
ok('login', m.login('bob', 'bobpw'))
ok('namespace', m.namespace())
ok('enable', m._simple_command('ENABLE', 'CONDSTORE'))
ok('list', m.list())
ok('create', m.create('Reports/2026'))
ok('rename', m.rename('Reports/2026', 'Reports/Archive'))
ok('subscribe', m.subscribe('Reports/Archive'))
ok('lsub', m.lsub('""', 'Reports/*'))
ok('unsubscribe', m.unsubscribe('Reports/Archive'))
msg = b'From: Py <py@example.test>\r\nSubject: from imaplib\r\nMessage-ID: <py@example.test>\r\n\r\nbody text here\r\n'
ok('append', m.append('INBOX', '(\\Seen $Py)', imaplib.Time2Internaldate(1767225600), msg))
ok('status', m.status('INBOX', '(MESSAGES UIDNEXT UNSEEN)'))
ok('examine', m.select('INBOX', readonly=True))
ok('close_ro', m.close())
typ, data = m.select('INBOX')
out['select'] = [typ, data[0].decode()]
ok('fetch_meta', m.fetch('1:*', '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)'))
typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[])')
out['bodies'] = [len(d[1]) for d in data if isinstance(d, tuple)]
out['sizes_match'] = all(b'RFC822.SIZE' not in d[0] for d in data if isinstance(d, tuple))
typ, data = m.fetch('3', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT] BODYSTRUCTURE)')
out['sections'] = [d[1].decode() for d in data if isinstance(d, tuple)]
out['appended_exact'] = m.fetch('3', '(BODY.PEEK[])')[1][0][1] == msg
ok('search_subject', m.search(None, 'SUBJECT', '"imaplib"'))
ok('uid_search', m.uid('SEARCH', 'UNSEEN'))
ok('store', m.store('1', '+FLAGS', '(\\Flagged)'))
ok('store_silent', m.store('2', '+FLAGS.SILENT', '(\\Deleted)'))
ok('copy', m.copy('1', 'Reports/Archive'))
ok('move', m.uid('MOVE', '3', 'Trash'))
ok('check', m.check())
ok('noop', m.noop())
ok('expunge', m.expunge())
ok('uid_expunge', m.uid('EXPUNGE', '1:*'))
# IDLE by hand (imaplib 3.11 has no idle()): send it, read the continuation, end with DONE.
tag = m._new_tag()
m.send(tag + b' IDLE\r\n')
out['idle_continuation'] = m.readline().decode().strip()
m.send(b'DONE\r\n')
out['idle_done'] = m.readline().decode().strip()
ok('unselect', m.unselect())
ok('delete', m.delete('Reports/Archive'))
ok('logout', m.logout())

# Implicit TLS with AUTHENTICATE PLAIN.
s = imaplib.IMAP4_SSL('127.0.0.1', tls_port, ssl_context=ctx)
ok('authenticate', s.authenticate('PLAIN', lambda _: b'\0bob\0bobpw'))
ok('select_tls', s.select('Trash'))
ok('logout_tls', s.logout())
print(json.dumps(out))
