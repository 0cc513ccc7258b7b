"""Just enough of the Kubernetes protobuf encoding to accept what kubectl's generator commands send
(``kubectl create namespace|secret|configmap|serviceaccount`` use the typed client, which posts
``application/vnd.kubernetes.protobuf``). Other kinds get 415."""

import base64

from .store import ApiError

MAGIC = b"k8s\x00"


def _varint(b, i):
    shift = 0
    v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, i
        shift += 7


def fields(b):
    """[(field number, wire type, value)] of one message."""
    out = []
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        fn, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ApiError(400, "BadRequest", "invalid protobuf body")
        out.append((fn, wt, v))
    return out


def _map(entries, binary=False):
    out = {}
    for raw in entries:
        k = v = b""
        for fn, _, x in fields(raw):
            if fn == 1:
                k = x
            elif fn == 2:
                v = x
        out[k.decode()] = base64.b64encode(v).decode() if binary else v.decode()
    return out


def _meta(b):
    md = {}
    labels, annots, fins = [], [], []
    for fn, _, v in fields(b):
        if fn in (1, 2, 3, 6) and not v:
            continue
        if fn == 1:
            md["name"] = v.decode()
        elif fn == 2:
            md["generateName"] = v.decode()
        elif fn == 3:
            md["namespace"] = v.decode()
        elif fn == 6:
            md["resourceVersion"] = v.decode()
        elif fn == 11:
            labels.append(v)
        elif fn == 12:
            annots.append(v)
        elif fn == 14:
            fins.append(v.decode())
    if labels:
        md["labels"] = _map(labels)
    if annots:
        md["annotations"] = _map(annots)
    if fins:
        md["finalizers"] = fins
    return md


def decode_object(body):
    if not body.startswith(MAGIC):
        raise ApiError(400, "BadRequest", "invalid protobuf body (no k8s envelope)")
    api_version = kind = ""
    raw = b""
    for fn, _, v in fields(body[4:]):
        if fn == 1:
            for f2, _, x in fields(v):
                if f2 == 1:
                    api_version = x.decode()
                elif f2 == 2:
                    kind = x.decode()
        elif fn == 2:
            raw = v
    obj = {"apiVersion": api_version, "kind": kind}
    fs = fields(raw)
    if kind not in ("Namespace", "Secret", "ConfigMap", "ServiceAccount"):
        raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                       "media types include: application/json, application/yaml")
    data, bdata, sdata = [], [], []
    for fn, wt, v in fs:
        if fn == 1:
            obj["metadata"] = _meta(v)
        elif kind == "Namespace" and fn == 2:
            obj["spec"] = {"finalizers": [x.decode() for f3, _, x in fields(v) if f3 == 1]}
        elif kind == "Secret":
            if fn == 2:
                data.append(v)
            elif fn == 3 and v:
                obj["type"] = v.decode()
            elif fn == 4:
                sdata.append(v)
            elif fn == 5:
                obj["immutable"] = bool(v)
        elif kind == "ConfigMap":
            if fn == 2:
                data.append(v)
            elif fn == 3:
                bdata.append(v)
            elif fn == 4:
                obj["immutable"] = bool(v)
        elif kind == "ServiceAccount" and fn == 4:
            obj["automountServiceAccountToken"] = bool(v)
    if data:
        obj["data"] = _map(data, binary=(kind == "Secret"))
    if bdata:
        obj["binaryData"] = _map(bdata, binary=True)
    if sdata:
        obj["stringData"] = _map(sdata)
    obj.setdefault("metadata", {})
    return obj
