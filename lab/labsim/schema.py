"""Custom resource schemas: loading the real Forklift CRDs (or the built-in description), and the
API-side structural-schema work on request bodies: pruning, defaulting, validation (422) and
``fieldValidation`` (Strict → 400 naming the unknown field, Warn → warning, Ignore → pruned)."""

import copy
import json
import os
import re
from pathlib import Path

from .store import ApiError

# The Forklift kinds served by the lab; the CRDs of the reference directory describe all but Host.
FORKLIFT_GROUP = "forklift.konveyor.io"


def repo_root():
    return Path(__file__).resolve().parents[2]


def crd_dir():
    """The real CRD directory: env MTVLAB_CRD_DIR, else <repo>/../shared/reference/forklift-crds;
    None when absent."""
    env = os.environ.get("MTVLAB_CRD_DIR")
    if env:
        p = Path(env)
        return p if p.is_dir() else None
    p = repo_root().parent / "shared" / "reference" / "forklift-crds"
    return p if p.is_dir() else None


def load_real_crds(directory=None):
    """{plural.group: CRD dict} from the YAML files of ``directory`` (default ``crd_dir()``)."""
    import yaml
    directory = Path(directory) if directory else crd_dir()
    out = {}
    if directory is None:
        return out
    for f in sorted(directory.glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                out[doc["metadata"]["name"]] = doc
    return out


def strip_descriptions(v):
    if isinstance(v, dict):
        return {k: strip_descriptions(x) for k, x in v.items()
                if not (k == "description" and isinstance(x, str))}
    if isinstance(v, list):
        return [strip_descriptions(x) for x in v]
    return v


def crds(source=None):
    """(crds dict, source name): the real CRDs when present, else the built-in description; the
    built-in Host CRD is always added (the reference has none)."""
    from . import crds_builtin
    real = load_real_crds() if source in (None, "real") else {}
    if real:
        out, src = dict(real), "real"
    else:
        out, src = {k: copy.deepcopy(v) for k, v in crds_builtin.CRDS.items()}, "builtin"
    for k, v in crds_builtin.EXTRA_CRDS.items():
        out.setdefault(k, copy.deepcopy(v))
    return out, src


def register_crds(store, crd_docs):
    """Register each CRD's served version as a store kind, with its schema and printer columns."""
    for name, crd in crd_docs.items():
        spec = crd["spec"]
        ver = next((v for v in spec["versions"] if v.get("storage")), spec["versions"][0])
        names = spec["names"]
        store.register_kind(
            "%s.%s" % (names["plural"], spec["group"]), names["kind"], spec.get("scope") == "Namespaced",
            group=spec["group"], version=ver["name"],
            status_subresource="status" in (ver.get("subresources") or {}),
            short_names=names.get("shortNames", ()), categories=names.get("categories", ()),
            singular=names.get("singular"), builtin=False,
            printer_columns=ver.get("additionalPrinterColumns") or [],
            schema=(ver.get("schema") or {}).get("openAPIV3Schema"))


# ----------------------------------------------------------------------------- structural work

_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def _type_ok(t, v):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    py = _TYPES.get(t)
    return py is None or isinstance(v, py)


def _fmt(v):
    return json.dumps(v) if isinstance(v, str) else (json.dumps(v) if not isinstance(v, (dict, list)) else
                                                      ("object" if isinstance(v, dict) else "array"))


class Errors:
    def __init__(self):
        self.causes = []

    def add(self, reason, field, msg):
        self.causes.append({"reason": reason, "message": msg, "field": field})


def prune(obj, schema, path, unknown, root=True):
    """Remove fields not in the schema (unless x-kubernetes-preserve-unknown-fields); record their
    paths in ``unknown``."""
    if not isinstance(schema, dict):
        return
    if isinstance(obj, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        if props is not None or (schema.get("type") == "object" and addl is None
                                 and not schema.get("x-kubernetes-preserve-unknown-fields")):
            props = props or {}
            for k in list(obj.keys()):
                if root and k in ("apiVersion", "kind", "metadata"):
                    continue
                if k in props:
                    prune(obj[k], props[k], path + [k], unknown, False)
                elif isinstance(addl, dict):
                    prune(obj[k], addl, path + [k], unknown, False)
                elif addl is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                    continue
                else:
                    unknown.append(".".join(path + [k]))
                    del obj[k]
        elif isinstance(addl, dict):
            for k in obj:
                prune(obj[k], addl, path + [k], unknown, False)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for i, x in enumerate(obj):
            prune(x, schema["items"], path + ["[%d]" % i], unknown, False)


def apply_defaults(obj, schema):
    if not isinstance(schema, dict):
        return
    if isinstance(obj, dict):
        for k, ps in (schema.get("properties") or {}).items():
            if k not in obj and isinstance(ps, dict) and "default" in ps:
                obj[k] = copy.deepcopy(ps["default"])
            if k in obj:
                apply_defaults(obj[k], ps)
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for k in obj:
                apply_defaults(obj[k], addl)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for x in obj:
            apply_defaults(x, schema["items"])


def _field(path):
    s = ""
    for p in path:
        s += p if p.startswith("[") else ("." + p if s else p)
    return s


def validate(obj, schema, path, errs):
    if not isinstance(schema, dict):
        return
    f = _field(path)
    if obj is None:
        if not schema.get("nullable"):
            t = schema.get("type")
            if t:
                errs.add("FieldValueInvalid", f, 'Invalid value: "null": %s in body must be of type %s: "null"' % (f, t))
        return
    t = schema.get("type")
    if t and not _type_ok(t, obj):
        errs.add("FieldValueInvalid", f, 'Invalid value: "%s": %s in body must be of type %s: %s'
                 % (_jtype(obj), f, t, _fmt(obj)))
        return
    if "enum" in schema and obj not in schema["enum"]:
        errs.add("FieldValueNotSupported", f, "Unsupported value: %s: supported values: %s"
                 % (_fmt(obj), ", ".join(_fmt(x) for x in schema["enum"])))
    if t in ("integer", "number"):
        if "minimum" in schema and obj < schema["minimum"]:
            errs.add("FieldValueInvalid", f, "Invalid value: %s: %s in body should be greater than or equal to %s"
                     % (obj, f, schema["minimum"]))
        if "maximum" in schema and obj > schema["maximum"]:
            errs.add("FieldValueInvalid", f, "Invalid value: %s: %s in body should be less than or equal to %s"
                     % (obj, f, schema["maximum"]))
        if schema.get("format") == "int32" and t == "integer" and not (-2**31 <= obj < 2**31):
            errs.add("FieldValueInvalid", f, "Invalid value: %s: %s in body must be of type int32" % (obj, f))
    if t == "string" or isinstance(obj, str):
        if isinstance(obj, str):
            if "pattern" in schema:
                try:
                    ok = re.search(_py_regex(schema["pattern"]), obj) is not None
                except re.error:
                    ok = True
                if not ok:
                    errs.add("FieldValueInvalid", f, 'Invalid value: "%s": %s in body should match \'%s\''
                             % (obj, f, schema["pattern"]))
            if "maxLength" in schema and len(obj) > schema["maxLength"]:
                errs.add("FieldValueTooLong", f, "Too long: may not be more than %d bytes" % schema["maxLength"])
            if "minLength" in schema and len(obj) < schema["minLength"]:
                errs.add("FieldValueInvalid", f, 'Invalid value: "%s": %s in body should be at least %d chars long'
                         % (obj, f, schema["minLength"]))
    if isinstance(obj, dict):
        for r in schema.get("required") or []:
            if r not in obj:
                errs.add("FieldValueRequired", _field(path + [r]), "Required value")
        props = schema.get("properties") or {}
        for k, v in obj.items():
            if not path and k in ("apiVersion", "kind", "metadata"):
                continue
            if k in props:
                validate(v, props[k], path + [k], errs)
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(v, schema["additionalProperties"], path + [k], errs)
    if isinstance(obj, list):
        if "minItems" in schema and len(obj) < schema["minItems"]:
            errs.add("FieldValueInvalid", f, "Invalid value: %d: %s in body should have at least %d items"
                     % (len(obj), f, schema["minItems"]))
        if "maxItems" in schema and len(obj) > schema["maxItems"]:
            errs.add("TooMany", f, "Too many: %d: must have at most %d items" % (len(obj), schema["maxItems"]))
        if isinstance(schema.get("items"), dict):
            for i, x in enumerate(obj):
                validate(x, schema["items"], path[:-1] + [path[-1] + "[%d]" % i] if path else ["[%d]" % i], errs)


def _jtype(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (int, float)):
        return "number" if isinstance(v, float) else "integer"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "null"


def _py_regex(p):
    # Go RE2 patterns as used by the CRDs are Python-compatible except for \z
    return p.replace(r"\z", r"\Z")


def admit_custom(kind, obj, old, field_validation, subresource=None, warnings=None):
    """Prune, default and validate ``obj`` (a request body already merged with the stored object for
    updates/patches) against ``kind.schema``. Returns the object; raises ApiError 400 (Strict) / 422.
    ``warnings`` (list) receives Warn-mode messages."""
    schema = kind.schema
    if not schema:
        return obj
    fv = (field_validation or "Ignore")
    check = copy.deepcopy(schema)
    if subresource != "status" and kind.status_subresource and "properties" in check:
        # status is not validated on the main resource (it is reset to the stored one anyway)
        check["properties"] = {k: v for k, v in check["properties"].items() if k != "status"}
        status = obj.pop("status", None)
    else:
        status = None
    unknown = []
    prune(obj, check, [], unknown)
    if unknown:
        if fv == "Strict":
            raise ApiError(400, "BadRequest", '%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                           % (kind.kind, kind.version, kind.kind,
                              ", ".join('unknown field "%s"' % u for u in unknown)))
        if fv == "Warn" and warnings is not None:
            for u in unknown:
                warnings.append('unknown field "%s"' % u)
    apply_defaults(obj, check)
    errs = Errors()
    validate(obj, check, [], errs)
    if status is not None:
        obj["status"] = status
    if errs.causes:
        name = (obj.get("metadata") or {}).get("name", "")
        if len(errs.causes) == 1:
            c = errs.causes[0]
            detail = "%s: %s" % (c["field"], c["message"])
        else:
            detail = "[%s]" % ", ".join("%s: %s" % (c["field"], c["message"]) for c in errs.causes)
        raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: %s' % (kind.kind, kind.group, name, detail),
                       {"name": name, "group": kind.group, "kind": kind.kind, "causes": errs.causes})
    return obj


def default_only(kind, obj):
    """Defaults of the schema applied in place (what the apiserver does when reading from etcd)."""
    if kind.schema:
        s = kind.schema
        if kind.status_subresource and "properties" in s:
            s = dict(s)
            s["properties"] = {k: v for k, v in s["properties"].items() if k != "status"}
        apply_defaults(obj, s)
    return obj
