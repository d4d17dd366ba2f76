//! sectool's compiled fast path for `sectool traffic ingest` of ECS NDJSON into Elasticsearch.
//!
//! One call converts a block of lines into the `_bulk` bytes that the Python path
//! (`readers/ndjson.py` -> `readers/identity.py` -> `es/encode.py`) writes for them: the same
//! validated event, the same document id, the same `create` action and the same `_source` bytes.
//! It decides nothing alone: a line it is not certain about (anything outside the common shapes,
//! and every error) comes back as its raw bytes, and Python handles it with the reference code,
//! which also words the errors. `tests/traffic/test_accel_parity.py` compares both paths.
//!
//! The line is scanned in place (no JSON tree, no copies of its text): a line with a backslash
//! anywhere, a float, a boolean where a value is kept, a duplicate name, ... is left to Python.

// pyo3 0.22's #[pymethods] expansion converts PyErr into PyErr.
#![allow(clippy::useless_conversion)]

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

// The checks of `readers/ndjson.py` (`_KEYWORD, _IP, _LONG, _PORT, _COUNT, _DATE, _MULTI, _ARRAY, _IPLIST`).
const KEYWORD: u8 = 0;
const IP: u8 = 1;
const LONG: u8 = 2;
const PORT: u8 = 3;
const COUNT: u8 = 4;
const DATE: u8 = 5;
const MULTI: u8 = 6;
const ARRAY: u8 = 7;
const IPLIST: u8 = 8;

/// Objects nested deeper than this are Python's to judge.
const MAX_DEPTH: usize = 32;
/// Unknown names and object names a line may hold before it is Python's to judge (they are
/// checked for repeats one by one: a hostile line with thousands would cost quadratic time).
const MAX_SEEN: usize = 256;
/// The output format: bumped with every change to what is accepted or written, so that Python
/// does not use a stale build (`sectool.traffic.es.fast_ndjson.ACCEL_FORMAT`).
const FORMAT: u32 = 5;

/// Namespaces whose names are kept as they are (``sectool.traffic.ecs.NAMESPACES``): a line with
/// one takes the Python path, which folds them into the document.
const KEPT_NAMESPACES: [&[u8]; 3] = [b"zeek.", b"suricata.", b"labels."];
/// Shapes (field sequences) kept worked out; shapes come from hostile input too.
const MAX_SHAPES: usize = 4096;

/// FxHash (rustc's): field names are short and not attacker-chosen keys of a long-lived table
/// (the name table is fixed; the template cache is bounded).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(last) ^ (rest.len() as u64) << 59)
            .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u16(&mut self, n: u16) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(n)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// A value as the line gives it.
enum Raw<'a> {
    Str(&'a str),
    Int(i64),
    /// An integer text beyond i64, a float, a boolean: kept by no fast rule.
    Other,
    Null,
    /// The strings of an array (`None`: an element that is not a string).
    Arr(Option<Vec<&'a str>>),
}

/// A validated value of the flat event, as the Python event holds it.
enum Val<'a> {
    Str(&'a str),
    Owned(String),
    Int(i64),
    /// An aware datetime: microseconds since the epoch, UTC.
    Date(i64),
    List(Vec<&'a str>),
    /// The value of `labels[i]`.
    Label(usize),
}

struct Field {
    name: String,
    check: u8,
    /// Position in the sorted names (the canonical JSON's key order).
    rank: u32,
}

/// The `_source` of one shape: literal bytes, each followed by the value of an event entry.
struct Template {
    parts: Vec<(Vec<u8>, usize)>,
    tail: Vec<u8>,
}

/// What depends only on the fields of a validated event, in order (its *shape*).
struct Shape {
    /// The entries of the canonical id's JSON, in key order (`log.file.path` left out).
    canon: Vec<usize>,
    /// The labels the event leaves unset (indices into `labels`).
    labels: Vec<usize>,
    /// The nested `_source` of the event with those labels; `None`: Python's per-field path.
    template: Option<Template>,
}

struct Doc {
    index: usize,
    id: [u8; 32],
    start: usize,
    end: usize,
}

#[pyclass(module = "sectool_accel")]
struct NdjsonBulk {
    fields: Vec<Field>,
    by_name: FxMap<Vec<u8>, u16>,
    preferred: FxMap<u16, Vec<String>>,
    prefix: String,
    labels: Vec<(u16, String)>,
    stamp: u16,
    source_file: Option<u16>,
    /// `event.id, event.dataset, event.kind, event.category, event.type, dns.id, dns.question.name`
    id_parts: [Option<u16>; 7],
    shapes: FxMap<Vec<u16>, Shape>,
    dropped: HashSet<Vec<u8>>,
    /// The output buffer, kept from block to block (a fresh one costs page faults).
    out: Vec<u8>,
}

/// What `encode_block` returns: per line a document or the raw line, the new dropped names,
/// the index names of the block's documents, and how many lines were converted.
type Block<'py> = (
    Bound<'py, PyList>,
    Vec<(usize, String)>,
    Vec<Bound<'py, PyString>>,
    usize,
);

#[pymethods]
impl NdjsonBulk {
    /// `checks`: field -> check code; `preferred`: ECS array field -> the values kept first;
    /// `prefix`: the index prefix; `labels`: fields set where the line leaves them unset.
    #[new]
    fn new(
        checks: HashMap<String, u8>,
        preferred: HashMap<String, Vec<String>>,
        prefix: String,
        labels: Vec<(String, String)>,
    ) -> PyResult<Self> {
        let mut names: Vec<(String, u8)> = checks.into_iter().collect();
        names.sort();
        if names.len() > usize::from(u16::MAX)
            || names.iter().any(|(n, c)| *c > IPLIST || needs_escape(n))
        {
            return Err(PyValueError::new_err("unexpected field table"));
        }
        let fields: Vec<Field> = names
            .into_iter()
            .enumerate()
            .map(|(i, (name, check))| Field {
                name,
                check,
                rank: i as u32,
            })
            .collect();
        let by_name: FxMap<Vec<u8>, u16> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_bytes().to_vec(), i as u16))
            .collect();
        let id = |name: &str| by_name.get(name.as_bytes()).copied();
        let stamp = id("@timestamp").ok_or_else(|| PyValueError::new_err("no @timestamp field"))?;
        if fields[usize::from(stamp)].check != DATE {
            return Err(PyValueError::new_err("@timestamp is not a date"));
        }
        if needs_escape(&prefix) {
            return Err(PyValueError::new_err("index prefix needs JSON escapes"));
        }
        let mut label_ids = Vec::new();
        for (name, value) in labels {
            let field = id(&name)
                .ok_or_else(|| PyValueError::new_err(format!("label {name} is not a field")))?;
            // a date label (event.ingested) comes as the text Python's encoder writes for it:
            // `YYYY-MM-DDTHH:MM:SS.ffffffZ`, written as it is
            let date_text =
                value.len() == 27 && value.ends_with('Z') && parse_iso(&value).is_some();
            let fits = match fields[usize::from(field)].check {
                KEYWORD => true,
                DATE => date_text,
                _ => false,
            };
            if !fits || needs_escape(&value) {
                return Err(PyValueError::new_err(format!(
                    "label {name} is not a keyword (or a date in canonical text) without escapes"
                )));
            }
            label_ids.push((field, value));
        }
        let mut preferred_ids = FxMap::default();
        for (name, values) in preferred {
            if let Some(field) = id(&name) {
                preferred_ids.insert(field, values);
            }
        }
        let names = [
            "event.id",
            "event.dataset",
            "event.kind",
            "event.category",
            "event.type",
            "dns.id",
            "dns.question.name",
        ];
        let id_parts = names.map(id);
        if id_parts
            .iter()
            .flatten()
            .any(|f| matches!(fields[usize::from(*f)].check, DATE | MULTI | IPLIST))
        {
            return Err(PyValueError::new_err(
                "a part of the source id is not a single value",
            ));
        }
        let source_file = id("log.file.path");
        Ok(NdjsonBulk {
            fields,
            by_name,
            preferred: preferred_ids,
            prefix,
            labels: label_ids,
            stamp,
            source_file,
            id_parts,
            shapes: FxMap::default(),
            dropped: HashSet::new(),
            out: Vec::new(),
        })
    }

    /// Convert the lines of `block` (each ending with `\n`, except perhaps the last).
    ///
    /// Returns `(results, dropped, indices, converted)`: per line either `(index, id, data)` or
    /// the line's raw bytes (Python's turn); the field names outside the list seen for the first
    /// time, each with the position of its line in the block; the index names of the block's
    /// documents; and how many lines were converted (all of them: `results` holds no raw line).
    fn encode_block<'py>(&mut self, py: Python<'py>, block: &[u8]) -> PyResult<Block<'py>> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let mut indices: Vec<(i64, String)> = Vec::new();
        let mut new_dropped: Vec<(usize, String)> = Vec::new();
        let mut outcomes: Vec<(usize, usize, Option<Doc>)> = Vec::new();
        py.allow_threads(|| {
            let mut work = Work::default();
            let mut start = 0;
            while start < block.len() {
                let end = match block[start..].iter().position(|b| *b == b'\n') {
                    Some(i) => start + i + 1,
                    None => block.len(),
                };
                let (mark, known) = (out.len(), indices.len());
                work.unknown.clear();
                let doc = self.line(&block[start..end], &mut out, &mut indices, &mut work);
                match doc {
                    None => {
                        out.truncate(mark);
                        indices.truncate(known); // an index named by a line that is Python's
                    }
                    Some(_) => {
                        for name in &work.unknown {
                            if !self.dropped.contains(name) {
                                self.dropped.insert(name.clone());
                                new_dropped.push((
                                    outcomes.len(),
                                    String::from_utf8_lossy(name).into_owned(),
                                ));
                            }
                        }
                    }
                }
                outcomes.push((start, end, doc));
                start = end;
            }
        });
        let objects = python_objects(py, block, &out, &indices, outcomes);
        self.out = out; // kept for the next block (a fresh buffer costs page faults)
        let (results, names, converted) = objects?;
        Ok((results, new_dropped, names, converted))
    }
}

/// The block's Python objects: per line `(index, id, data)` or the raw line; the index names;
/// how many lines were converted.
fn python_objects<'py>(
    py: Python<'py>,
    block: &[u8],
    out: &[u8],
    indices: &[(i64, String)],
    outcomes: Vec<(usize, usize, Option<Doc>)>,
) -> PyResult<(Bound<'py, PyList>, Vec<Bound<'py, PyString>>, usize)> {
    let names: Vec<Bound<'py, PyString>> = indices
        .iter()
        .map(|(_, s)| PyString::new_bound(py, s))
        .collect();
    let results = PyList::empty_bound(py);
    let converted = outcomes.iter().filter(|(_, _, d)| d.is_some()).count();
    for (start, end, doc) in outcomes {
        match doc {
            Some(d) => {
                let id = std::str::from_utf8(&d.id).expect("hex digits");
                let item = PyTuple::new_bound(
                    py,
                    [
                        names[d.index].clone().into_any(),
                        PyString::new_bound(py, id).into_any(),
                        PyBytes::new_bound(py, &out[d.start..d.end]).into_any(),
                    ],
                );
                results.append(item)?;
            }
            None => results.append(PyBytes::new_bound(py, &block[start..end]))?,
        }
    }
    Ok((results, names, converted))
}

/// Buffers reused from line to line.
#[derive(Default)]
struct Work {
    /// Names outside the list, in line order (dropped, as in Python).
    unknown: Vec<Vec<u8>>,
    /// Names that must not repeat: unknown ones and objects (Python's dict would merge them).
    seen: Vec<Vec<u8>>,
    present: Vec<bool>,
    shape: Vec<u16>,
    text: Vec<u8>,
}

impl NdjsonBulk {
    fn line<'a>(
        &mut self,
        line: &'a [u8],
        out: &mut Vec<u8>,
        indices: &mut Vec<(i64, String)>,
        work: &mut Work,
    ) -> Option<Doc> {
        // Strict JSON without escapes, UTF-8: a backslash anywhere is Python's.
        if line.contains(&b'\\') {
            return None;
        }
        let text = std::str::from_utf8(line).ok()?;
        let mut scan = Scan {
            b: text.as_bytes(),
            s: text,
            i: 0,
        };
        scan.ws();
        if scan.peek() != Some(b'{') {
            return None; // blank lines, arrays, ...: Python's words
        }
        let mut raw: Vec<(u16, Raw<'a>)> = Vec::with_capacity(32);
        work.seen.clear();
        work.present.clear();
        work.present.resize(self.fields.len(), false);
        let mut prefix: Vec<u8> = Vec::with_capacity(64);
        self.object(&mut scan, &mut prefix, 0, &mut raw, work)?;
        scan.ws();
        if scan.i != scan.b.len() {
            return None;
        }

        let mut event: Vec<(u16, Val<'a>)> = Vec::with_capacity(raw.len() + self.labels.len());
        let mut stamp: Option<i64> = None;
        for (field, value) in raw {
            let check = self.fields[usize::from(field)].check;
            let val = match (check, value) {
                (_, Raw::Null) => continue,
                (KEYWORD, Raw::Str(s)) => Val::Str(s),
                (KEYWORD, Raw::Int(n)) => Val::Owned(n.to_string()),
                (ARRAY, Raw::Str(s)) => Val::Str(s),
                (ARRAY, Raw::Arr(Some(items))) => match self.one_of(field, &items) {
                    Some(s) => Val::Str(s),
                    None => continue, // an empty array leaves the field unset
                },
                (IP, Raw::Str(s)) => Val::Str(canonical_ip(s)?),
                (DATE, Raw::Str(s)) => {
                    let micros = parse_iso(s)?;
                    if field == self.stamp {
                        stamp = Some(micros);
                    }
                    Val::Date(micros)
                }
                (LONG, Raw::Int(n)) => Val::Int(n),
                (PORT, Raw::Int(n)) if (0..=65535).contains(&n) => Val::Int(n),
                (COUNT, Raw::Int(n)) if n >= 0 => Val::Int(n),
                (MULTI, Raw::Str(s)) => Val::List(vec![s]),
                (MULTI, Raw::Arr(Some(items))) => Val::List(items),
                (IPLIST, Raw::Str(s)) => Val::List(vec![canonical_ip(s)?]),
                (IPLIST, Raw::Arr(Some(items))) => {
                    if !items.iter().all(|s| canonical_ip(s).is_some()) {
                        return None; // not canonical (or not an address): Python words it
                    }
                    Val::List(items)
                }
                _ => return None,
            };
            event.push((field, val));
        }
        let stamp = stamp?;
        work.shape.clear();
        work.shape.extend(event.iter().map(|(f, _)| *f));
        if !self.shapes.contains_key(&work.shape) {
            if self.shapes.len() >= MAX_SHAPES {
                self.shapes.clear();
            }
            let shape = self.shape(&work.shape);
            self.shapes.insert(work.shape.clone(), shape);
        }
        let shape = self.shapes.get(&work.shape)?;
        let template = shape.template.as_ref()?;
        let id = self.doc_id(&event, &shape.canon, stamp, &mut work.text);
        for label in &shape.labels {
            event.push((self.labels[*label].0, Val::Label(*label)));
        }

        let days = stamp.div_euclid(86_400_000_000);
        let index = match indices.iter().position(|(d, _)| *d == days) {
            Some(i) => i,
            None => {
                let (y, m, d, ..) = civil(stamp);
                indices.push((days, format!("{}-{:04}.{:02}.{:02}", self.prefix, y, m, d)));
                indices.len() - 1
            }
        };
        let start = out.len();
        out.extend_from_slice(b"{\"create\":{\"_index\":\"");
        out.extend_from_slice(indices[index].1.as_bytes());
        out.extend_from_slice(b"\",\"_id\":\"");
        out.extend_from_slice(&id);
        out.extend_from_slice(b"\"}}\n");
        for (literal, entry) in &template.parts {
            out.extend_from_slice(literal);
            match &event[*entry].1 {
                Val::Str(s) => plain(out, s),
                Val::Owned(s) => plain(out, s),
                Val::Int(n) => int(out, i128::from(*n)),
                Val::Date(micros) => iso(out, *micros)?,
                Val::List(items) => list(out, items),
                Val::Label(i) => plain(out, &self.labels[*i].1),
            }
        }
        out.extend_from_slice(&template.tail);
        out.push(b'\n');
        Some(Doc {
            index,
            id,
            start,
            end: out.len(),
        })
    }

    /// The members of the object at `scan` (its `{` next), flattened under `prefix`
    /// (`sectool.traffic.ecs.flatten`).
    fn object<'a>(
        &self,
        scan: &mut Scan<'a>,
        prefix: &mut Vec<u8>,
        depth: usize,
        raw: &mut Vec<(u16, Raw<'a>)>,
        work: &mut Work,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        scan.expect(b'{')?;
        scan.ws();
        if scan.peek() == Some(b'}') {
            scan.i += 1;
            return Some(());
        }
        loop {
            scan.ws();
            let key = scan.string()?;
            scan.ws();
            scan.expect(b':')?;
            scan.ws();
            let mark = prefix.len();
            prefix.extend_from_slice(key.as_bytes());
            if scan.peek() == Some(b'{') {
                if depth == 0 && key == "dns" && scan.has_member("answers")? {
                    return None; // ECS list-of-objects answers: the reference path reshapes them
                }
                if self.by_name.contains_key(prefix.as_slice())
                    || work.seen.len() >= MAX_SEEN
                    || work.seen.iter().any(|n| n == prefix)
                {
                    // an object at a field's name (even `{}`, which flattens to nothing and would
                    // hide a value given under the same name), or an object name given twice
                    return None;
                }
                work.seen.push(prefix.clone());
                prefix.push(b'.');
                self.object(scan, prefix, depth + 1, raw, work)?;
            } else {
                let value = scan.value()?;
                match self.by_name.get(prefix.as_slice()) {
                    Some(&field) => {
                        let seen = &mut work.present[usize::from(field)];
                        if *seen {
                            return None; // a name given twice: Python's dict decides
                        }
                        *seen = true;
                        raw.push((field, value));
                    }
                    None => {
                        if KEPT_NAMESPACES.iter().any(|ns| prefix.starts_with(ns))
                            || prefix.as_slice() == b"sectool.source_file"
                        {
                            return None; // kept namespaces and the old label's name: Python's path
                        }
                        if self.has_known_parent(prefix)
                            || work.seen.len() >= MAX_SEEN
                            || work.seen.iter().any(|n| n == prefix)
                        {
                            return None; // an object where a value belongs, or a repeated name
                        }
                        work.seen.push(prefix.clone());
                        work.unknown.push(prefix.clone());
                    }
                }
            }
            prefix.truncate(mark);
            scan.ws();
            match scan.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    fn has_known_parent(&self, name: &[u8]) -> bool {
        name.iter()
            .enumerate()
            .rev()
            .any(|(i, b)| *b == b'.' && self.by_name.contains_key(&name[..i]))
    }

    /// `_one_of` of `readers/ndjson.py`.
    fn one_of<'a>(&self, field: u16, items: &[&'a str]) -> Option<&'a str> {
        if let Some(preferred) = self.preferred.get(&field) {
            for p in preferred {
                if let Some(s) = items.iter().find(|s| **s == p.as_str()) {
                    return Some(s);
                }
            }
        }
        items.first().copied()
    }

    /// `_doc_id` of `readers/ndjson.py`: the source id of an ECS event with `event.id`, else the
    /// canonical id of the validated event (`canon`: its entries in key order).
    fn doc_id(
        &self,
        event: &[(u16, Val)],
        canon: &[usize],
        stamp: i64,
        text: &mut Vec<u8>,
    ) -> [u8; 32] {
        let get = |field: Option<u16>| {
            field
                .and_then(|f| event.iter().find(|(k, _)| *k == f))
                .map(|(_, v)| v)
        };
        text.clear();
        if get(self.id_parts[0]).is_some() {
            text.extend_from_slice(b"ecs");
            for field in &self.id_parts[..5] {
                text.push(0x1f);
                part(text, get(*field));
            }
            text.push(0x1f);
            int(text, i128::from(stamp) * 1000);
            for field in &self.id_parts[5..] {
                text.push(0x1f);
                part(text, get(*field));
            }
            return blake2_hex(text);
        }
        // json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False): no
        // string of the event needs an escape, so orjson's bytes and these are the same
        text.push(b'{');
        for (i, entry) in canon.iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            let (field, value) = &event[*entry];
            plain(text, &self.fields[usize::from(*field)].name);
            text.push(b':');
            match value {
                Val::Str(s) => plain(text, s),
                Val::Owned(s) => plain(text, s),
                Val::Int(n) => int(text, i128::from(*n)),
                Val::Date(micros) => int(text, i128::from(*micros) * 1000),
                Val::List(items) => list(text, items),
                Val::Label(_) => unreachable!("labels are added after the id"),
            }
        }
        text.push(b'}');
        blake2_hex(text)
    }

    /// Work out a shape (the fields of a validated event, labels not yet added).
    fn shape(&self, fields: &[u16]) -> Shape {
        let mut canon: Vec<usize> = (0..fields.len())
            .filter(|i| Some(fields[*i]) != self.source_file)
            .collect();
        canon.sort_unstable_by_key(|i| self.fields[usize::from(fields[*i])].rank);
        let labels: Vec<usize> = (0..self.labels.len())
            .filter(|l| !fields.contains(&self.labels[*l].0))
            .collect();
        let mut full = fields.to_vec();
        full.extend(labels.iter().map(|l| self.labels[*l].0));
        Shape {
            canon,
            labels,
            template: self.template(&full),
        }
    }

    /// The nested `_source` template of a shape (`ecs.nest` order); `None` when a name is both a
    /// value and an object (`dns` and `dns.id`), which Python's per-field path settles.
    fn template(&self, shape: &[u16]) -> Option<Template> {
        enum Node {
            Leaf(usize),
            Obj(Vec<(String, Node)>),
        }
        let mut root: Vec<(String, Node)> = Vec::new();
        for (entry, field) in shape.iter().enumerate() {
            let name = &self.fields[usize::from(*field)].name;
            let parts: Vec<&str> = if name.starts_with('@') || !name.contains('.') {
                vec![name]
            } else {
                name.split('.').collect()
            };
            let mut node = &mut root;
            for part in &parts[..parts.len() - 1] {
                let at = match node.iter().position(|(n, _)| n == part) {
                    Some(at) => at,
                    None => {
                        node.push(((*part).to_owned(), Node::Obj(Vec::new())));
                        node.len() - 1
                    }
                };
                node = match &mut node[at].1 {
                    Node::Obj(children) => children,
                    Node::Leaf(_) => return None,
                };
            }
            let leaf = parts[parts.len() - 1];
            if node.iter().any(|(n, _)| n == leaf) {
                return None;
            }
            node.push((leaf.to_owned(), Node::Leaf(entry)));
        }
        fn walk(
            node: &[(String, Node)],
            literal: &mut Vec<u8>,
            parts: &mut Vec<(Vec<u8>, usize)>,
        ) -> Option<()> {
            literal.push(b'{');
            for (i, (name, child)) in node.iter().enumerate() {
                if i > 0 {
                    literal.push(b',');
                }
                plain(literal, name);
                literal.push(b':');
                match child {
                    Node::Leaf(entry) => parts.push((std::mem::take(literal), *entry)),
                    Node::Obj(children) => walk(children, literal, parts)?,
                }
            }
            literal.push(b'}');
            Some(())
        }
        let mut literal = Vec::new();
        let mut parts = Vec::new();
        walk(&root, &mut literal, &mut parts)?;
        Some(Template {
            parts,
            tail: literal,
        })
    }
}

/// A cursor over one line (valid UTF-8, no backslashes).
struct Scan<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
    /// A string without escapes (the line has no backslash) and without control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match self.next()? {
                b'"' => return Some(&self.s[start..self.i - 1]),
                c if c < 0x20 => return None, // invalid JSON
                _ => {}
            }
        }
    }
    fn value(&mut self) -> Option<Raw<'a>> {
        match self.peek()? {
            b'"' => Some(Raw::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut items = Some(Vec::new());
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Some(Raw::Arr(items));
                }
                loop {
                    self.ws();
                    if self.peek() == Some(b'"') {
                        let s = self.string()?;
                        if let Some(v) = items.as_mut() {
                            v.push(s);
                        }
                    } else {
                        self.skip(0)?;
                        items = None;
                    }
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        b']' => return Some(Raw::Arr(items)),
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.skip(0)?;
                Some(Raw::Other)
            }
            b'n' => self.word("null").map(|()| Raw::Null),
            b't' => self.word("true").map(|()| Raw::Other),
            b'f' => self.word("false").map(|()| Raw::Other),
            _ => self.number(),
        }
    }
    fn word(&mut self, w: &str) -> Option<()> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Some(())
        } else {
            None
        }
    }
    /// A JSON number: an integer that fits i64 is kept, any other valid number is `Other`.
    fn number(&mut self) -> Option<Raw<'a>> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let int_end = self.i;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits()?;
            integer = false;
        }
        let text = &self.s[start..self.i];
        if !integer || text == "-0" || int_end - int_start > 19 {
            return Some(Raw::Other);
        }
        Some(text.parse::<i64>().map_or(Raw::Other, Raw::Int))
    }
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }
    /// Any JSON value, checked and passed over.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' | b'[' => {
                let close = if self.next()? == b'{' { b'}' } else { b']' };
                self.ws();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if close == b'}' {
                        self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                    }
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => self.value().map(|_| ()),
        }
    }
    /// Whether the object at the cursor has a member `name` (the cursor does not move).
    fn has_member(&self, name: &str) -> Option<bool> {
        let mut probe = Scan {
            b: self.b,
            s: self.s,
            i: self.i + 1,
        };
        probe.ws();
        if probe.peek() == Some(b'}') {
            return Some(false);
        }
        loop {
            probe.ws();
            if probe.string()? == name {
                return Some(true);
            }
            probe.ws();
            probe.expect(b':')?;
            probe.ws();
            probe.skip(1)?;
            probe.ws();
            match probe.next()? {
                b',' => continue,
                b'}' => return Some(false),
                _ => return None,
            }
        }
    }
}

/// `source_id`'s text of one part: `str(value)`, NUL when unset (the parts are keywords or
/// integers; a list or a date there would be a new field table, and is written as Python would
/// not, so the table's test in tests/traffic/test_accel_parity.py guards it).
fn part(text: &mut Vec<u8>, value: Option<&Val>) {
    match value {
        None => text.push(0),
        Some(Val::Str(s)) => text.extend_from_slice(s.as_bytes()),
        Some(Val::Owned(s)) => text.extend_from_slice(s.as_bytes()),
        Some(Val::Int(n)) => int(text, i128::from(*n)),
        Some(Val::Date(_) | Val::List(_) | Val::Label(_)) => text.push(0),
    }
}

fn blake2_hex(data: &[u8]) -> [u8; 32] {
    use blake2::digest::{Update, VariableOutput};
    let mut hasher = blake2::Blake2bVar::new(16).expect("16 is a valid BLAKE2b size");
    hasher.update(data);
    let mut digest = [0u8; 16];
    hasher.finalize_variable(&mut digest).expect("16 bytes");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 32];
    for (i, b) in digest.iter().enumerate() {
        hex[2 * i] = HEX[usize::from(b >> 4)];
        hex[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    hex
}

/// `readers.values.canonical_ip` where the text already is the canonical form (then glibc's
/// `inet_ntop` writes it back unchanged); `None` leaves other forms to Python. The IPv6 ranges
/// that glibc writes with a dotted quad (`::a.b.c.d`, `::ffff:a.b.c.d`) are left to Python too.
fn canonical_ip(s: &str) -> Option<&str> {
    if s.contains(':') {
        let addr: Ipv6Addr = s.parse().ok()?;
        let seg = addr.segments();
        if seg[..5] == [0, 0, 0, 0, 0] {
            return None;
        }
        return (addr.to_string() == s).then_some(s);
    }
    let addr: Ipv4Addr = s.parse().ok()?;
    (addr.to_string() == s).then_some(s)
}

/// A string needs a JSON escape. Strings scanned from a line never do (the scanner takes no
/// backslash and no control character, and stops at the quote); the field names and labels are
/// checked once, when the converter is made.
fn needs_escape(s: &str) -> bool {
    s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

fn plain(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn list(out: &mut Vec<u8>, items: &[&str]) {
    out.push(b'[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        plain(out, s);
    }
    out.push(b']');
}

fn int(out: &mut Vec<u8>, n: i128) {
    let mut buf = [0u8; 40];
    let mut at = buf.len();
    if let Ok(mut small) = u64::try_from(n) {
        loop {
            at -= 1;
            buf[at] = b'0' + (small % 10) as u8;
            small /= 10;
            if small == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[at..]);
        return;
    }
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    out.extend_from_slice(&buf[at..]);
}

/// `es.encode.iso_utc`: `"YYYY-MM-DDTHH:MM:SS.ffffffZ"`; below year 1000 Python's general path.
fn iso(out: &mut Vec<u8>, micros: i64) -> Option<()> {
    let (y, mo, d, h, mi, s, us) = civil(micros);
    if y < 1000 {
        return None;
    }
    fn put(out: &mut Vec<u8>, n: i64, width: usize) {
        let mut buf = [b'0'; 6];
        let mut n = n;
        for k in (0..width).rev() {
            buf[k] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    }
    out.push(b'"');
    put(out, y, 4);
    out.push(b'-');
    put(out, mo, 2);
    out.push(b'-');
    put(out, d, 2);
    out.push(b'T');
    put(out, h, 2);
    out.push(b':');
    put(out, mi, 2);
    out.push(b':');
    put(out, s, 2);
    out.push(b'.');
    put(out, us, 6);
    out.extend_from_slice(b"Z\"");
    Some(())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day, hour, minute, second, microsecond)` of microseconds since the epoch, UTC.
fn civil(micros: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = rest / 1_000_000;
    (
        y,
        m,
        d,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        rest % 1_000_000,
    )
}

fn digits_value(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
}

/// Microseconds since the epoch (UTC) of `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff](Z|+HH:MM|-HH:MM)`,
/// a subset of what Python 3.11's `datetime.fromisoformat` reads with the same meaning; other
/// forms are Python's to read.
fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (
        digits_value(&b[0..4])?,
        digits_value(&b[5..7])?,
        digits_value(&b[8..10])?,
    );
    if !(1679..=2260).contains(&y) {
        return None; // near or outside the years the store holds (1678..2261): Python decides
    }
    let (h, mi, s) = (
        digits_value(&b[11..13])?,
        digits_value(&b[14..16])?,
        digits_value(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut us = 0;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        us = match n {
            3 => digits_value(&rest[1..4])? * 1000,
            6 => digits_value(&rest[1..7])?,
            _ => return None,
        };
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits_value(&[*h1, *h2])?;
            let om = digits_value(&[*m1, *m2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if y < 1
        || !(1..=12).contains(&mo)
        || d < 1
        || d > month_days[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let local = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
    let micros = (local - offset * 60) * 1_000_000 + us;
    let (year, ..) = civil(micros);
    if !(1..=9999).contains(&year) {
        return None; // astimezone() beyond datetime's range: Python reports it
    }
    Some(micros)
}

#[pymodule]
fn sectool_accel(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NdjsonBulk>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FORMAT", FORMAT)?;
    Ok(())
}
