"""Drives caunoi's Open311 GeoReport v2 API with two real, unmodified clients from PyPI.

    python check_clients.py BASE_URL API_KEY      (BASE_URL like http://127.0.0.1:8080)
    python check_clients.py --demo-json DATA_DIR/demo.json

civicbot 0.4.0 (Open311Client): lists the services, fetches the noise definition, validates and
files a request with the required attribute, and reads it back. georeport 0.3.1 (GeoReport):
lists services and requests in JSON and in XML, and reads one request in both.
Exits non-zero, naming the failed step, on the first thing that is not as expected.
"""
import json
import sys

from civicbot import Endpoint, HttpTransport, Open311Client
from civicbot.http import HttpError, RateLimiter
from georeport import GeoReport


def fail(step, detail):
    print(f"FAILED {step}: {detail}", file=sys.stderr)
    sys.exit(1)


def check(cond, step, detail=""):
    if not cond:
        fail(step, detail)
    print(f"ok   {step}")


def main(argv):
    if len(argv) == 3 and argv[1] == "--demo-json":
        with open(argv[2], encoding="utf-8") as f:
            demo = json.load(f)
        base, key = demo["base_url"], demo["open311_api_key"]
    elif len(argv) == 3:
        base, key = argv[1], argv[2]
    else:
        print(__doc__, file=sys.stderr)
        return 2
    root = base.rstrip("/") + "/open311/v2"

    # ---- civicbot -------------------------------------------------------------------------
    endpoint = Endpoint(id="caunoi", name="caunoi", base_url=root, write=True)
    # Its default transport waits 0.5 s between calls to a host, politeness meant for cities'
    # servers; ours is on this machine.
    client = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)))
    services = client.list_services()
    codes = [s.get("service_code") for s in services]
    check("noise" in codes, "civicbot lists services", codes)
    for sensitive in ("denunciation", "drugs", "theft", "fire", "public_order"):
        check(sensitive not in codes, f"civicbot: sensitive or urgent service {sensitive} is not offered", codes)
    noise = next(s for s in services if s["service_code"] == "noise")
    check(noise.get("metadata") is True, "civicbot: noise has metadata", noise)

    definition = client.get_service_definition("noise")
    attrs = {a["code"]: a for a in definition.get("attributes", [])}
    check("source" in attrs and attrs["source"]["required"] is True, "civicbot fetches the noise definition", definition)
    check(attrs["source"]["datatype"] == "singlevaluelist", "civicbot: source is a single-value list", attrs["source"])

    try:
        client.create_request("noise", dry_run=True, validate_remote=True, api_key=key, lat=20.9600, lng=107.0420,
                              description="Hát karaoke quá 23 giờ")
        fail("civicbot validation", "a request without the required attribute was accepted")
    except Exception as e:  # civicbot.ValidationError
        check("source" in str(e), "civicbot validation refuses a request without the required attribute", e)

    filed = client.create_request(
        "noise", dry_run=False, confirm="SEND", validate_remote=True, api_key=key,
        lat=20.9600, lng=107.0420, address_string="Đường Hạ Long, phường Bãi Cháy",
        description="Quán karaoke mở loa rất to sau 23 giờ <script>&\"", attributes={"source": "karaoke"},
        first_name="Nguyễn", last_name="Văn Thử", email="thu@example.com", phone="0912345678")
    response = filed.response
    check(isinstance(response, list) and response and response[0].get("service_request_id"),
          "civicbot files a request", response)
    request_id = response[0]["service_request_id"]

    got = client.get_request(request_id)
    check(got and got.get("service_request_id") == request_id, "civicbot reads the request back", got)
    check(got.get("status") == "open" and got.get("service_code") == "noise", "civicbot: status open, service noise", got)
    check(got.get("description", "").endswith("<script>&\""), "civicbot: the description comes back intact", got)
    text = json.dumps(got, ensure_ascii=False)
    for secret in ("Văn Thử", "thu@example.com", "0912345678"):
        check(secret not in text, f"civicbot: the reporter's detail {secret!r} is not published", text)
    listed = client.list_requests(service_code="noise", status="open")
    check(any(r.get("service_request_id") == request_id for r in listed), "civicbot lists open noise requests", listed)
    token = client.get_token(request_id)
    check(token and token[0].get("service_request_id") == request_id, "civicbot resolves a token", token)

    try:
        client.create_request("noise", dry_run=False, confirm="SEND", api_key="o311_not-a-key", lat=20.96,
                              lng=107.04, attributes={"source": "karaoke"})
        fail("civicbot bad key", "a request with an unknown key was accepted")
    except HttpError as e:
        check(e.status == 403 and '"code":403' in e.body.replace(" ", ""), "civicbot: an unknown api_key gets 403", e)

    # ---- georeport ------------------------------------------------------------------------
    for fmt in ("json", "xml"):
        geo = GeoReport(root, api_key=key, output_format=fmt)
        svc = geo.get_service_list()
        svc = svc if isinstance(svc, list) else [svc]
        check(any(s.get("service_code") == "noise" for s in svc), f"georeport lists services ({fmt})", svc)
        definition = geo.get_service_definition("noise")
        attrs = definition["attributes"]
        if fmt == "xml":
            attrs = attrs["attribute"]
            attrs = attrs if isinstance(attrs, list) else [attrs]
        required = [a for a in attrs if a["code"] == "source"]
        check(required and str(required[0]["required"]).lower() == "true", f"georeport reads the definition ({fmt})",
              definition)
        reqs = geo.get_service_requests(service_code="noise")
        reqs = reqs if isinstance(reqs, list) else [reqs]
        check(any(r.get("service_request_id") == request_id for r in reqs), f"georeport lists requests ({fmt})", reqs)
        one = geo.get_service_request(request_id)
        check(one.get("service_request_id") == request_id and one.get("status") == "open",
              f"georeport reads one request ({fmt})", one)
        check(one.get("description", "").endswith("<script>&\""), f"georeport: hostile text survives ({fmt})", one)
        by_id = geo.get_service_requests(service_request_id=request_id)
        by_id = by_id if isinstance(by_id, list) else [by_id]
        check(len(by_id) == 1, f"georeport filters by service_request_id ({fmt})", by_id)

    print("Open311 clients: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
