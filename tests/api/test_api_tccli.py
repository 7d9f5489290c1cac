"""Issue 15: `tccli` (PyPI) drives the console. tccli speaks HTTPS only, so the test serves
the live server behind TLS: a certificate made for the test by `trustme`, and a small TLS
terminator in a thread forwarding bytes to the live server (the Host header the client signed
passes unchanged). The SDK under tccli verifies against `certifi.where()` explicitly, so
`REQUESTS_CA_BUNDLE` does not reach it: the real `tccli` entry point runs with `certifi.where`
answering the test CA's bundle instead (nothing else of tccli is touched)."""

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest
import trustme

from organizations.models import Department
from tests.api.test_api_sdk import make_key
from tests.factories import join

pytestmark = pytest.mark.django_db(transaction=True)
# tccli's own console script, with the test CA as certifi's bundle (see the docstring)
RUN_TCCLI = (
    "import sys, certifi; bundle = sys.argv.pop(1); certifi.where = lambda: bundle; "
    "from tccli.main import main; sys.argv[0] = 'tccli'; sys.exit(main())"
)


class TlsTerminator:
    """Accept TLS on 127.0.0.1:<port> and pipe each connection to the plain live server."""

    def __init__(self, backend_port: int, ca: trustme.CA):
        cert = ca.issue_cert("localhost", "127.0.0.1")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.context)
        self.backend_port = backend_port
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.open = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.open:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))

        def pipe(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        t = threading.Thread(target=pipe, args=(backend, tls), daemon=True)
        t.start()
        pipe(tls, backend)
        t.join(10)
        tls.close()
        backend.close()

    def close(self):
        self.open = False
        self.sock.close()


@pytest.fixture
def tls_endpoint(live_server, tmp_path):
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    port = int(live_server.url.rsplit(":", 1)[1])
    terminator = TlsTerminator(port, ca)
    yield f"localhost:{terminator.port}", str(bundle)
    terminator.close()


def tccli(endpoint, bundle, sid, secret, *args):
    env = {**os.environ, "REQUESTS_CA_BUNDLE": bundle, "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_TCCLI,
            bundle,
            "organization",
            *args,
            "--endpoint",
            endpoint,
            "--secretId",
            sid,
            "--secretKey",
            secret,
            "--region",
            "ap-guangzhou",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return result


def test_tccli_lists_the_organizations_members_and_nodes(tls_endpoint, org, admin):
    endpoint, bundle = tls_endpoint
    join(org, admin, name="cli-member")
    sid, secret = make_key(admin)
    described = tccli(endpoint, bundle, sid, secret, "DescribeOrganization")
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["OrgId"] == org.pk
    members = tccli(
        endpoint,
        bundle,
        sid,
        secret,
        "DescribeOrganizationMembers",
        "--Limit",
        "10",
        "--Offset",
        "0",
    )
    assert members.returncode == 0, members.stderr
    names = {m["Name"] for m in json.loads(members.stdout)["Items"]}
    assert "cli-member" in names
    root = Department.objects.get(organization=org, parent__isnull=True)
    added = tccli(
        endpoint,
        bundle,
        sid,
        secret,
        "AddOrganizationNode",
        "--ParentNodeId",
        str(root.pk),
        "--Name",
        "From-CLI",
    )
    assert added.returncode == 0, added.stderr
    assert Department.objects.filter(organization=org, name="From-CLI").exists()


def test_tccli_shows_tcos_error_code_for_a_wrong_secret(tls_endpoint, org, admin):
    endpoint, bundle = tls_endpoint
    sid, _secret = make_key(admin)
    result = tccli(endpoint, bundle, sid, "wrong-secret", "DescribeOrganization")
    assert result.returncode != 0
    assert "AuthFailure.SignatureFailure" in result.stdout + result.stderr


def test_tccli_reaches_a_plain_http_console_with_an_http_endpoint(live_server, org, admin):
    """README's newcomer line: `--endpoint http://127.0.0.1:8000` (tccli then signs the Host
    `http://…` it sends; the console checks that value and serves the request)."""
    join(org, admin, name="http-member")
    sid, secret = make_key(admin)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tccli.main import main; sys.argv[0] = 'tccli'; sys.exit(main())",
            "organization",
            "DescribeOrganizationMembers",
            "--Limit",
            "10",
            "--Offset",
            "0",
            "--endpoint",
            live_server.url,
            "--secretId",
            sid,
            "--secretKey",
            secret,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "http-member" in {m["Name"] for m in json.loads(result.stdout)["Items"]}
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tccli.main import main; sys.argv[0] = 'tccli'; sys.exit(main())",
            "organization",
            "DescribeOrganization",
            "--endpoint",
            live_server.url,
            "--secretId",
            sid,
            "--secretKey",
            "wrong",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "AuthFailure.SignatureFailure" in bad.stdout + bad.stderr
