//! Pickle decoder: a stack machine over an arena, then a bounded expansion into a [`Value`] tree.
//!
//! Python's unpickler shares objects: `MEMOIZE` stores a *reference*, and later `APPENDS` to a
//! memoized list are visible through every `BINGET` of it. The decoder mirrors that with an
//! arena of nodes addressed by index, so the memo costs nothing per lookup and nothing is copied
//! while parsing. Only the final expansion into a tree copies, and it is charged against a
//! budget, so a few bytes of `BINGET`s cannot expand into gigabytes and a self-containing list
//! stops at the depth limit.

use std::collections::HashMap;

use super::Value;

/// Bounds for decoding untrusted input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of containers in the result. fail2ban's deepest answer is 5 levels.
    pub max_depth: usize,
    /// Upper bound of the expanded tree, in bytes (32 per value plus string and bytes payloads).
    /// The effective budget is the smaller of this and 64 × the input size + 64 KiB.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_output_bytes: 512 << 20,
        }
    }
}

/// Why bytes are not a pickle this decoder accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the `STOP` opcode. A framing layer may read more and retry.
    #[error("pickle data was truncated")]
    Truncated,
    #[error("unknown pickle opcode 0x{opcode:02x} at byte {offset}")]
    UnknownOpcode { opcode: u8, offset: usize },
    #[error("unsupported pickle opcode {name} at byte {offset}")]
    Unsupported { name: &'static str, offset: usize },
    #[error("invalid pickle at byte {offset}: {reason}")]
    Invalid { reason: String, offset: usize },
    #[error("pickle nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("pickle expands beyond the {0}-byte budget")]
    TooLarge(usize),
}

/// Decodes one pickle with the default [`Limits`]. Bytes after `STOP` are ignored, as Python does.
pub fn decode(input: &[u8]) -> Result<Value, DecodeError> {
    decode_with(input, &Limits::default())
}

/// Decodes one pickle with explicit limits.
pub fn decode_with(input: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
    let mut parser = Parser {
        input,
        pos: 0,
        op_start: 0,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    let root = parser.run()?;
    let budget = input
        .len()
        .saturating_mul(64)
        .saturating_add(64 << 10)
        .min(limits.max_output_bytes);
    let mut expander = Expander {
        arena: &parser.arena,
        max_depth: limits.max_depth,
        budget,
        left: budget,
    };
    expander.expand(root, 0)
}

type Id = usize;

#[derive(Debug)]
enum Node {
    /// None, bool, int, float, str, bytes or a global.
    Leaf(Value),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    FrozenSet(Vec<Id>),
    Call {
        func: Id,
        args: Id,
        state: Option<Id>,
    },
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// Offset of the opcode being executed, for error messages.
    op_start: usize,
    arena: Vec<Node>,
    stack: Vec<Id>,
    /// Stack lengths at each `MARK` (CPython's "metastack").
    marks: Vec<usize>,
    memo: HashMap<u32, Id>,
}

mod op {
    pub const MARK: u8 = b'(';
    pub const STOP: u8 = b'.';
    pub const POP: u8 = b'0';
    pub const POP_MARK: u8 = b'1';
    pub const DUP: u8 = b'2';
    pub const FLOAT: u8 = b'F';
    pub const INT: u8 = b'I';
    pub const BININT: u8 = b'J';
    pub const BININT1: u8 = b'K';
    pub const LONG: u8 = b'L';
    pub const BININT2: u8 = b'M';
    pub const NONE: u8 = b'N';
    pub const PERSID: u8 = b'P';
    pub const BINPERSID: u8 = b'Q';
    pub const REDUCE: u8 = b'R';
    pub const STRING: u8 = b'S';
    pub const BINSTRING: u8 = b'T';
    pub const SHORT_BINSTRING: u8 = b'U';
    pub const UNICODE: u8 = b'V';
    pub const BINUNICODE: u8 = b'X';
    pub const APPEND: u8 = b'a';
    pub const BUILD: u8 = b'b';
    pub const GLOBAL: u8 = b'c';
    pub const DICT: u8 = b'd';
    pub const EMPTY_DICT: u8 = b'}';
    pub const APPENDS: u8 = b'e';
    pub const GET: u8 = b'g';
    pub const BINGET: u8 = b'h';
    pub const INST: u8 = b'i';
    pub const LONG_BINGET: u8 = b'j';
    pub const LIST: u8 = b'l';
    pub const EMPTY_LIST: u8 = b']';
    pub const OBJ: u8 = b'o';
    pub const PUT: u8 = b'p';
    pub const BINPUT: u8 = b'q';
    pub const LONG_BINPUT: u8 = b'r';
    pub const SETITEM: u8 = b's';
    pub const TUPLE: u8 = b't';
    pub const EMPTY_TUPLE: u8 = b')';
    pub const SETITEMS: u8 = b'u';
    pub const BINFLOAT: u8 = b'G';
    // protocol 2
    pub const PROTO: u8 = 0x80;
    pub const NEWOBJ: u8 = 0x81;
    pub const EXT1: u8 = 0x82;
    pub const EXT2: u8 = 0x83;
    pub const EXT4: u8 = 0x84;
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE2: u8 = 0x86;
    pub const TUPLE3: u8 = 0x87;
    pub const NEWTRUE: u8 = 0x88;
    pub const NEWFALSE: u8 = 0x89;
    pub const LONG1: u8 = 0x8a;
    pub const LONG4: u8 = 0x8b;
    // protocol 3
    pub const BINBYTES: u8 = b'B';
    pub const SHORT_BINBYTES: u8 = b'C';
    // protocol 4
    pub const SHORT_BINUNICODE: u8 = 0x8c;
    pub const BINUNICODE8: u8 = 0x8d;
    pub const BINBYTES8: u8 = 0x8e;
    pub const EMPTY_SET: u8 = 0x8f;
    pub const ADDITEMS: u8 = 0x90;
    pub const FROZENSET: u8 = 0x91;
    pub const NEWOBJ_EX: u8 = 0x92;
    pub const STACK_GLOBAL: u8 = 0x93;
    pub const MEMOIZE: u8 = 0x94;
    pub const FRAME: u8 = 0x95;
    // protocol 5
    pub const BYTEARRAY8: u8 = 0x96;
    pub const NEXT_BUFFER: u8 = 0x97;
    pub const READONLY_BUFFER: u8 = 0x98;
}

impl<'a> Parser<'a> {
    fn run(&mut self) -> Result<Id, DecodeError> {
        loop {
            self.op_start = self.pos;
            let opcode = self.byte()?;
            match opcode {
                op::PROTO => {
                    let version = self.byte()?;
                    if version > 5 {
                        return Err(self.invalid(format!("unsupported protocol {version}")));
                    }
                }
                // FRAME only announces how many bytes follow; the data is read the same way.
                op::FRAME => {
                    self.take(8)?;
                }
                op::STOP => return self.pop(),
                op::MARK => self.marks.push(self.stack.len()),
                op::POP => {
                    if self.stack.len() > self.floor() {
                        self.stack.pop();
                    } else {
                        self.pop_mark()?;
                    }
                }
                op::POP_MARK => {
                    self.pop_mark()?;
                }
                op::DUP => {
                    let top = self.top()?;
                    self.stack.push(top);
                }

                op::NONE => self.push_leaf(Value::None),
                op::NEWTRUE => self.push_leaf(Value::Bool(true)),
                op::NEWFALSE => self.push_leaf(Value::Bool(false)),
                op::BININT => {
                    let v = i32::from_le_bytes(self.array()?);
                    self.push_leaf(Value::Int(v.into()));
                }
                op::BININT1 => {
                    let v = self.byte()?;
                    self.push_leaf(Value::Int(v.into()));
                }
                op::BININT2 => {
                    let v = u16::from_le_bytes(self.array()?);
                    self.push_leaf(Value::Int(v.into()));
                }
                op::LONG1 => {
                    let n = usize::from(self.byte()?);
                    let bytes = self.take(n)?;
                    self.push_leaf(int_from_le(bytes));
                }
                op::LONG4 => {
                    let n = i32::from_le_bytes(self.array()?);
                    let n =
                        usize::try_from(n).map_err(|_| self.invalid("negative LONG4 length"))?;
                    let bytes = self.take(n)?;
                    self.push_leaf(int_from_le(bytes));
                }
                op::INT => {
                    let line = self.line()?;
                    let value = match line {
                        b"00" => Value::Bool(false),
                        b"01" => Value::Bool(true),
                        _ => self.parse_text_int(line)?,
                    };
                    self.push_leaf(value);
                }
                op::LONG => {
                    let line = self.line()?;
                    let line = line.strip_suffix(b"L").unwrap_or(line);
                    let value = self.parse_text_int(line)?;
                    self.push_leaf(value);
                }
                op::BINFLOAT => {
                    let v = f64::from_be_bytes(self.array()?);
                    self.push_leaf(Value::Float(v));
                }
                op::FLOAT => {
                    let line = self.line()?;
                    let v = std::str::from_utf8(line)
                        .ok()
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .ok_or_else(|| self.invalid("bad FLOAT text"))?;
                    self.push_leaf(Value::Float(v));
                }

                op::SHORT_BINUNICODE => {
                    let n = usize::from(self.byte()?);
                    self.push_text(n)?;
                }
                op::BINUNICODE => {
                    let n = self.len_u32()?;
                    self.push_text(n)?;
                }
                op::BINUNICODE8 => {
                    let n = self.len_u64()?;
                    self.push_text(n)?;
                }
                op::UNICODE => {
                    let line = self.line()?;
                    let s = raw_unicode_escape(line)
                        .ok_or_else(|| self.invalid("bad UNICODE escape"))?;
                    self.push_leaf(Value::Str(s));
                }
                op::SHORT_BINSTRING => {
                    let n = usize::from(self.byte()?);
                    let bytes = self.take(n)?;
                    self.push_leaf(py2_str(bytes.to_vec()));
                }
                op::BINSTRING => {
                    let n = i32::from_le_bytes(self.array()?);
                    let n = usize::try_from(n)
                        .map_err(|_| self.invalid("negative BINSTRING length"))?;
                    let bytes = self.take(n)?;
                    self.push_leaf(py2_str(bytes.to_vec()));
                }
                op::STRING => {
                    let line = self.line()?;
                    let bytes = py_string_literal(line)
                        .ok_or_else(|| self.invalid("bad STRING literal"))?;
                    self.push_leaf(py2_str(bytes));
                }
                op::SHORT_BINBYTES => {
                    let n = usize::from(self.byte()?);
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::Bytes(bytes.to_vec()));
                }
                op::BINBYTES => {
                    let n = self.len_u32()?;
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::Bytes(bytes.to_vec()));
                }
                op::BINBYTES8 | op::BYTEARRAY8 => {
                    let n = self.len_u64()?;
                    let bytes = self.take(n)?;
                    self.push_leaf(Value::Bytes(bytes.to_vec()));
                }

                op::EMPTY_LIST => self.push_node(Node::List(Vec::new())),
                op::EMPTY_TUPLE => self.push_node(Node::Tuple(Vec::new())),
                op::EMPTY_DICT => self.push_node(Node::Dict(Vec::new())),
                op::EMPTY_SET => self.push_node(Node::Set(Vec::new())),
                op::LIST => {
                    let items = self.pop_mark()?;
                    self.push_node(Node::List(items));
                }
                op::TUPLE => {
                    let items = self.pop_mark()?;
                    self.push_node(Node::Tuple(items));
                }
                op::FROZENSET => {
                    let items = self.pop_mark()?;
                    self.push_node(Node::FrozenSet(items));
                }
                op::DICT => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items)?;
                    self.push_node(Node::Dict(pairs));
                }
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let n = usize::from(opcode - op::TUPLE1 + 1);
                    let items = self.pop_n(n)?;
                    self.push_node(Node::Tuple(items));
                }
                op::APPEND => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    self.list_mut(list)?.push(item);
                }
                op::APPENDS => {
                    let items = self.pop_mark()?;
                    let list = self.top()?;
                    self.list_mut(list)?.extend(items);
                }
                op::SETITEM => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let dict = self.top()?;
                    self.dict_mut(dict)?.push((key, value));
                }
                op::SETITEMS => {
                    let items = self.pop_mark()?;
                    let pairs = self.pairs(items)?;
                    let dict = self.top()?;
                    self.dict_mut(dict)?.extend(pairs);
                }
                op::ADDITEMS => {
                    let items = self.pop_mark()?;
                    let set = self.top()?;
                    match &mut self.arena[set] {
                        Node::Set(v) => v.extend(items),
                        _ => return Err(self.invalid("ADDITEMS on a non-set")),
                    }
                }

                op::GLOBAL => {
                    let module = self.line()?;
                    let module = self.utf8(module)?;
                    let name = self.line()?;
                    let name = self.utf8(name)?;
                    self.push_leaf(Value::Global { module, name });
                }
                op::STACK_GLOBAL => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (&self.arena[module], &self.arena[name]) {
                        (Node::Leaf(Value::Str(m)), Node::Leaf(Value::Str(n))) => {
                            let global = Value::Global {
                                module: m.clone(),
                                name: n.clone(),
                            };
                            self.push_leaf(global);
                        }
                        _ => return Err(self.invalid("STACK_GLOBAL needs two strings")),
                    }
                }
                op::REDUCE | op::NEWOBJ => {
                    let args = self.pop()?;
                    let func = self.pop()?;
                    self.push_node(Node::Call {
                        func,
                        args,
                        state: None,
                    });
                }
                op::NEWOBJ_EX => {
                    let kwargs = self.pop()?;
                    let args = self.pop()?;
                    let func = self.pop()?;
                    if !matches!(&self.arena[kwargs], Node::Dict(d) if d.is_empty()) {
                        return Err(DecodeError::Unsupported {
                            name: "NEWOBJ_EX with keyword arguments",
                            offset: self.op_start,
                        });
                    }
                    self.push_node(Node::Call {
                        func,
                        args,
                        state: None,
                    });
                }
                op::INST => {
                    let module = self.line()?;
                    let module = self.utf8(module)?;
                    let name = self.line()?;
                    let name = self.utf8(name)?;
                    let items = self.pop_mark()?;
                    let func = self.alloc(Node::Leaf(Value::Global { module, name }));
                    let args = self.alloc(Node::Tuple(items));
                    self.push_node(Node::Call {
                        func,
                        args,
                        state: None,
                    });
                }
                op::OBJ => {
                    let mut items = self.pop_mark()?.into_iter();
                    let func = items
                        .next()
                        .ok_or_else(|| self.invalid("OBJ without a class"))?;
                    let args = self.alloc(Node::Tuple(items.collect()));
                    self.push_node(Node::Call {
                        func,
                        args,
                        state: None,
                    });
                }
                op::BUILD => {
                    let new_state = self.pop()?;
                    let obj = self.top()?;
                    match &mut self.arena[obj] {
                        Node::Call { state, .. } => *state = Some(new_state),
                        _ => return Err(self.invalid("BUILD on a value that is not an object")),
                    }
                }

                op::MEMOIZE => {
                    let top = self.top()?;
                    let index =
                        u32::try_from(self.memo.len()).map_err(|_| self.invalid("memo full"))?;
                    self.memo.insert(index, top);
                }
                op::BINPUT => {
                    let index = self.byte()?;
                    self.put(index.into())?;
                }
                op::LONG_BINPUT => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.put(index)?;
                }
                op::PUT => {
                    let line = self.line()?;
                    let index = self.text_index(line)?;
                    self.put(index)?;
                }
                op::BINGET => {
                    let index = self.byte()?;
                    self.get(index.into())?;
                }
                op::LONG_BINGET => {
                    let index = u32::from_le_bytes(self.array()?);
                    self.get(index)?;
                }
                op::GET => {
                    let line = self.line()?;
                    let index = self.text_index(line)?;
                    self.get(index)?;
                }

                op::PERSID | op::BINPERSID => return Err(self.unsupported("PERSID")),
                op::EXT1 | op::EXT2 | op::EXT4 => return Err(self.unsupported("EXT")),
                op::NEXT_BUFFER | op::READONLY_BUFFER => {
                    return Err(self.unsupported("out-of-band buffer"));
                }
                _ => {
                    return Err(DecodeError::UnknownOpcode {
                        opcode,
                        offset: self.op_start,
                    });
                }
            }
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError::Invalid {
            reason: reason.into(),
            offset: self.op_start,
        }
    }

    fn unsupported(&self, name: &'static str) -> DecodeError {
        DecodeError::Unsupported {
            name,
            offset: self.op_start,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        // Checked against what is there before anything is allocated for it.
        let input: &'a [u8] = self.input;
        let end = self.pos.checked_add(n).filter(|&end| end <= input.len());
        let end = end.ok_or(DecodeError::Truncated)?;
        let bytes = &input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn len_u32(&mut self) -> Result<usize, DecodeError> {
        let n = u32::from_le_bytes(self.array()?);
        usize::try_from(n).map_err(|_| DecodeError::Truncated)
    }

    fn len_u64(&mut self) -> Result<usize, DecodeError> {
        let n = u64::from_le_bytes(self.array()?);
        // A length beyond the address space cannot be satisfied by the input either.
        usize::try_from(n).map_err(|_| DecodeError::Truncated)
    }

    /// A `\n`-terminated argument of the text opcodes, without the newline.
    fn line(&mut self) -> Result<&'a [u8], DecodeError> {
        let input: &'a [u8] = self.input;
        let rest = &input[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(DecodeError::Truncated)?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    fn utf8(&self, bytes: &[u8]) -> Result<String, DecodeError> {
        String::from_utf8(bytes.to_vec()).map_err(|_| self.invalid("name is not UTF-8"))
    }

    fn parse_text_int(&self, text: &[u8]) -> Result<Value, DecodeError> {
        std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(Value::Int)
            .ok_or_else(|| self.invalid("integer text out of range or malformed"))
    }

    fn text_index(&self, text: &[u8]) -> Result<u32, DecodeError> {
        std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .ok_or_else(|| self.invalid("bad memo index"))
    }

    fn push_text(&mut self, n: usize) -> Result<(), DecodeError> {
        // Python writes `str` with "surrogatepass"; lone surrogates become U+FFFD here.
        let s = String::from_utf8_lossy(self.take(n)?).into_owned();
        self.push_leaf(Value::Str(s));
        Ok(())
    }

    fn alloc(&mut self, node: Node) -> Id {
        self.arena.push(node);
        self.arena.len() - 1
    }

    fn push_node(&mut self, node: Node) {
        let id = self.alloc(node);
        self.stack.push(id);
    }

    fn push_leaf(&mut self, value: Value) {
        self.push_node(Node::Leaf(value));
    }

    /// Items below the innermost mark belong to an outer frame and cannot be popped.
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id, DecodeError> {
        if self.stack.len() <= self.floor() {
            return Err(self.invalid("stack underflow"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.invalid("stack underflow"))
    }

    fn top(&self) -> Result<Id, DecodeError> {
        if self.stack.len() <= self.floor() {
            return Err(self.invalid("stack underflow"));
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.invalid("stack underflow"))
    }

    fn pop_n(&mut self, n: usize) -> Result<Vec<Id>, DecodeError> {
        if self.stack.len() < self.floor() + n {
            return Err(self.invalid("stack underflow"));
        }
        Ok(self.stack.split_off(self.stack.len() - n))
    }

    fn pop_mark(&mut self) -> Result<Vec<Id>, DecodeError> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.invalid("no MARK on the stack"))?;
        Ok(self.stack.split_off(mark))
    }

    fn pairs(&self, items: Vec<Id>) -> Result<Vec<(Id, Id)>, DecodeError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.invalid("odd number of items for a dict"));
        }
        Ok(items.chunks_exact(2).map(|kv| (kv[0], kv[1])).collect())
    }

    fn list_mut(&mut self, id: Id) -> Result<&mut Vec<Id>, DecodeError> {
        let op_start = self.op_start;
        match &mut self.arena[id] {
            Node::List(v) => Ok(v),
            _ => Err(DecodeError::Invalid {
                reason: "APPEND on a non-list".into(),
                offset: op_start,
            }),
        }
    }

    fn dict_mut(&mut self, id: Id) -> Result<&mut Vec<(Id, Id)>, DecodeError> {
        let op_start = self.op_start;
        match &mut self.arena[id] {
            Node::Dict(v) => Ok(v),
            _ => Err(DecodeError::Invalid {
                reason: "SETITEM on a non-dict".into(),
                offset: op_start,
            }),
        }
    }

    fn put(&mut self, index: u32) -> Result<(), DecodeError> {
        let top = self.top()?;
        self.memo.insert(index, top);
        Ok(())
    }

    fn get(&mut self, index: u32) -> Result<(), DecodeError> {
        let id = *self
            .memo
            .get(&index)
            .ok_or_else(|| self.invalid(format!("memo {index} is empty")))?;
        self.stack.push(id);
        Ok(())
    }
}

/// Integer from pickle's LONG1/LONG4 payload: little-endian two's complement.
fn int_from_le(bytes: &[u8]) -> Value {
    // Drop redundant sign-extension bytes so that small values fit in an i64.
    let mut len = bytes.len();
    while len > 1 {
        let (last, prev) = (bytes[len - 1], bytes[len - 2]);
        if (last == 0x00 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0) {
            len -= 1;
        } else {
            break;
        }
    }
    let bytes = &bytes[..len];
    if bytes.is_empty() {
        return Value::Int(0);
    }
    if len <= 8 {
        let fill = if bytes[len - 1] & 0x80 != 0 {
            0xff
        } else {
            0x00
        };
        let mut buf = [fill; 8];
        buf[..len].copy_from_slice(bytes);
        return Value::Int(i64::from_le_bytes(buf));
    }
    Value::BigInt(bytes.to_vec())
}

/// Python 2 `str` read by Python 3 as text when it is valid UTF-8, else kept as bytes.
fn py2_str(bytes: Vec<u8>) -> Value {
    match String::from_utf8(bytes) {
        Ok(s) => Value::Str(s),
        Err(e) => Value::Bytes(e.into_bytes()),
    }
}

/// The `raw-unicode-escape` codec of the `UNICODE` opcode: latin-1 bytes plus `\uXXXX` and
/// `\UXXXXXXXX` escapes.
fn raw_unicode_escape(line: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b == b'\\' && matches!(line.get(i + 1), Some(b'u' | b'U')) {
            let digits = if line[i + 1] == b'u' { 4 } else { 8 };
            let hex = line.get(i + 2..i + 2 + digits)?;
            let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            i += 2 + digits;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// The quoted Python literal of the `STRING` opcode (`'abc'`, `"a\'b"`, `'\x00'`).
fn py_string_literal(line: &[u8]) -> Option<Vec<u8>> {
    let quote = *line.first()?;
    if !(quote == b'\'' || quote == b'"') || line.len() < 2 || *line.last()? != quote {
        return None;
    }
    let body = &line[1..line.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let esc = *body.get(i + 1)?;
        i += 2;
        match esc {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'\\' | b'\'' | b'"' => out.push(esc),
            b'x' => {
                let hex = body.get(i..i + 2)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            _ => {
                out.push(b'\\');
                out.push(esc);
            }
        }
    }
    Some(out)
}

struct Expander<'a> {
    arena: &'a [Node],
    max_depth: usize,
    budget: usize,
    left: usize,
}

/// Rough size of one value in the tree; the budget counts this plus payload bytes.
const NODE_COST: usize = 32;

impl Expander<'_> {
    fn charge(&mut self, bytes: usize) -> Result<(), DecodeError> {
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or(DecodeError::TooLarge(self.budget))?;
        Ok(())
    }

    fn expand(&mut self, id: Id, depth: usize) -> Result<Value, DecodeError> {
        if depth > self.max_depth {
            return Err(DecodeError::TooDeep(self.max_depth));
        }
        self.charge(NODE_COST)?;
        let arena = self.arena;
        Ok(match &arena[id] {
            Node::Leaf(value) => {
                self.charge(match value {
                    Value::Str(s) => s.len(),
                    Value::Bytes(b) | Value::BigInt(b) => b.len(),
                    Value::Global { module, name } => module.len() + name.len(),
                    _ => 0,
                })?;
                value.clone()
            }
            Node::List(items) => Value::List(self.expand_all(items, depth)?),
            Node::Tuple(items) => Value::Tuple(self.expand_all(items, depth)?),
            Node::Set(items) => Value::Set(self.expand_all(items, depth)?),
            Node::FrozenSet(items) => Value::FrozenSet(self.expand_all(items, depth)?),
            Node::Dict(pairs) => {
                let mut out = Vec::new();
                for &(k, v) in pairs {
                    out.push((self.expand(k, depth + 1)?, self.expand(v, depth + 1)?));
                }
                Value::Dict(out)
            }
            Node::Call { func, args, state } => {
                let (module, name) = match self.expand(*func, depth + 1)? {
                    Value::Global { module, name } => (module, name),
                    other => {
                        return Err(DecodeError::Invalid {
                            reason: format!("call of a {} instead of a class", other.type_name()),
                            offset: 0,
                        });
                    }
                };
                let args = match self.expand(*args, depth + 1)? {
                    Value::Tuple(args) => args,
                    other => {
                        return Err(DecodeError::Invalid {
                            reason: format!(
                                "call arguments are a {}, not a tuple",
                                other.type_name()
                            ),
                            offset: 0,
                        });
                    }
                };
                let state = match state {
                    Some(s) => Some(Box::new(self.expand(*s, depth + 1)?)),
                    None => None,
                };
                fold_call(module, name, args, state)
            }
        })
    }

    fn expand_all(&mut self, items: &[Id], depth: usize) -> Result<Vec<Value>, DecodeError> {
        items.iter().map(|&id| self.expand(id, depth + 1)).collect()
    }
}

/// Turns the calls Python uses to spell plain values back into those values; every other call
/// stays an [`Value::Object`] that names its class.
fn fold_call(module: String, name: String, args: Vec<Value>, state: Option<Box<Value>>) -> Value {
    let builtins = module == "builtins" || module == "__builtin__";
    if state.is_none() {
        match (builtins, name.as_str(), args.as_slice()) {
            // fail2ban's IPAddr.__reduce__ returns (str, (text,)).
            (true, "str" | "unicode", [Value::Str(s)]) => return Value::Str(s.clone()),
            (true, "set", []) => return Value::Set(Vec::new()),
            (true, "frozenset", []) => return Value::FrozenSet(Vec::new()),
            (true, "set" | "frozenset" | "list" | "tuple", [seq]) if seq.as_seq().is_some() => {
                let items = seq.as_seq().map(<[Value]>::to_vec).unwrap_or_default();
                return match name.as_str() {
                    "set" => Value::Set(items),
                    "frozenset" => Value::FrozenSet(items),
                    "list" => Value::List(items),
                    _ => Value::Tuple(items),
                };
            }
            (true, "bytes" | "bytearray", []) => return Value::Bytes(Vec::new()),
            (true, "bytearray", [Value::Bytes(b)]) => return Value::Bytes(b.clone()),
            // Protocol 2 spells bytes as _codecs.encode('…', 'latin1').
            (false, "encode", [Value::Str(s), Value::Str(enc)])
                if module == "_codecs" && (enc == "latin1" || enc == "latin-1") =>
            {
                if let Some(bytes) = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect() {
                    return Value::Bytes(bytes);
                }
            }
            _ => {}
        }
    }
    Value::Object {
        module,
        name,
        args,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn memoized_lists_are_shared_like_in_python() {
        // EMPTY_LIST MEMOIZE MARK BININT1 1 APPENDS  BINGET 0  TUPLE2 STOP
        // Python: ([1], [1]) – the memo holds the list that APPENDS later filled.
        let bytes = [
            0x80, 4, b']', 0x94, b'(', b'K', 1, b'e', b'h', 0, 0x86, b'.',
        ];
        let one = Value::List(vec![Value::Int(1)]);
        assert_eq!(
            decode(&bytes).unwrap(),
            Value::Tuple(vec![one.clone(), one])
        );
    }

    #[test]
    fn memo_indices_beyond_255() {
        // 300 memoized ints, then LONG_BINGET 299 and a LONG_BINPUT/LONG_BINGET pair.
        let mut bytes = vec![0x80, 4, b'('];
        for i in 0..300u16 {
            bytes.extend_from_slice(&[b'M', (i & 0xff) as u8, (i >> 8) as u8, 0x94]);
        }
        bytes.push(b'1'); // POP_MARK: drop them again
        bytes.push(b'j');
        bytes.extend_from_slice(&299u32.to_le_bytes());
        bytes.push(b'r');
        bytes.extend_from_slice(&70_000u32.to_le_bytes());
        bytes.push(b'j');
        bytes.extend_from_slice(&70_000u32.to_le_bytes());
        bytes.extend_from_slice(&[0x86, b'.']);
        assert_eq!(
            decode(&bytes).unwrap(),
            Value::Tuple(vec![Value::Int(299), Value::Int(299)])
        );
    }

    #[test]
    fn a_list_containing_itself_stops_at_the_depth_limit() {
        // EMPTY_LIST MEMOIZE BINGET 0 APPEND STOP  →  l = []; l.append(l)
        let bytes = [b']', 0x94, b'h', 0, b'a', b'.'];
        assert_eq!(decode(&bytes), Err(DecodeError::TooDeep(64)));
    }

    #[test]
    fn doubling_through_the_memo_hits_the_budget() {
        // s = 'x'*1000; then 40 times: t = (t, t) — 2**40 copies if expanded naively.
        let mut bytes = vec![0x80, 4, b'X'];
        bytes.extend_from_slice(&1000u32.to_le_bytes());
        bytes.extend(std::iter::repeat_n(b'x', 1000));
        bytes.push(0x94);
        for i in 0..40u8 {
            bytes.extend_from_slice(&[b'h', i, b'h', i, 0x86, 0x94]);
        }
        bytes.push(b'.');
        assert!(matches!(decode(&bytes), Err(DecodeError::TooLarge(_))));
    }

    #[test]
    fn lengths_are_checked_before_allocating() {
        // BINUNICODE8 claiming 2**62 bytes.
        let mut bytes = vec![0x80, 5, 0x8d];
        bytes.extend_from_slice(&(1u64 << 62).to_le_bytes());
        assert_eq!(decode(&bytes), Err(DecodeError::Truncated));
        assert_eq!(
            decode(&[0x80, 5, b'X', 0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn long_integers_of_every_width() {
        // LONG1: 255 → ff 00; -256 → 00 ff; 2**64 → 9 bytes.
        assert_eq!(
            decode(&[0x8a, 2, 0xff, 0x00, b'.']).unwrap(),
            Value::Int(255)
        );
        assert_eq!(
            decode(&[0x8a, 2, 0x00, 0xff, b'.']).unwrap(),
            Value::Int(-256)
        );
        assert_eq!(decode(&[0x8a, 0, b'.']).unwrap(), Value::Int(0));
        let big = [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'.'];
        assert_eq!(
            decode(&big).unwrap(),
            Value::BigInt(vec![0, 0, 0, 0, 0, 0, 0, 0, 1])
        );
        // LONG4 with i64::MIN
        let mut min = vec![0x8b, 8, 0, 0, 0];
        min.extend_from_slice(&i64::MIN.to_le_bytes());
        min.push(b'.');
        assert_eq!(decode(&min).unwrap(), Value::Int(i64::MIN));
        // BININT negative, BININT2
        assert_eq!(
            decode(&[b'J', 0xfe, 0xff, 0xff, 0xff, b'.']).unwrap(),
            Value::Int(-2)
        );
        assert_eq!(
            decode(&[b'M', 0x34, 0x12, b'.']).unwrap(),
            Value::Int(0x1234)
        );
    }

    #[test]
    fn protocol_0_text_opcodes() {
        // == [1, 12, 1.5, "a'b", "x€y"] as Python 2 wrote it with protocol 0
        let text = b"(lp0\nI1\naL12L\naF1.5\naS'a\\'b'\naVx\\u20acy\na.";
        assert_eq!(
            decode(text).unwrap(),
            Value::List(vec![
                Value::Int(1),
                Value::Int(12),
                Value::Float(1.5),
                Value::str("a'b"),
                Value::str("x€y"),
            ])
        );
        assert_eq!(decode(b"I01\n.").unwrap(), Value::Bool(true));
        // GLOBAL + REDUCE of builtins.set over a list, protocol 2 style.
        let set = b"c__builtin__\nset\n]K\x01aK\x02a\x85R.";
        assert_eq!(
            decode(set).unwrap(),
            Value::Set(vec![Value::Int(1), Value::Int(2)])
        );
    }

    #[test]
    fn protocol_2_bytes_and_objects() {
        // _codecs.encode('\xff\x00', 'latin1')
        let bytes = b"\x80\x02c_codecs\nencode\nX\x04\x00\x00\x00\xc3\xbf\x00\x00X\x06\x00\x00\x00latin1\x86R.";
        let got = decode(bytes).unwrap();
        assert_eq!(got, Value::Bytes(vec![0xff, 0x00, 0x00]));
        // NEWOBJ + BUILD keep class and state.
        let obj = b"\x80\x02cmod\nCls\n)\x81}X\x01\x00\x00\x00aK\x01sb.";
        assert_eq!(
            decode(obj).unwrap(),
            Value::Object {
                module: "mod".into(),
                name: "Cls".into(),
                args: vec![],
                state: Some(Box::new(Value::Dict(vec![(
                    Value::str("a"),
                    Value::Int(1)
                )]))),
            }
        );
    }

    #[test]
    fn fail2ban_unknown_jail_keeps_its_class() {
        let bytes = hex(
            "80059541000000000000004b018c136661696c3262616e2e657863657074696f6e73948c14556e6b6e6f776e4a61696c457863657074696f6e9493948c066e6f73756368948594529486942e",
        );
        assert_eq!(
            decode(&bytes).unwrap(),
            Value::Tuple(vec![
                Value::Int(1),
                Value::Object {
                    module: "fail2ban.exceptions".into(),
                    name: "UnknownJailException".into(),
                    args: vec![Value::str("nosuch")],
                    state: None,
                }
            ])
        );
    }

    #[test]
    fn stack_and_mark_misuse_is_an_error_not_a_panic() {
        for bytes in [
            &b"."[..],
            b"(.",
            b"a.",
            b"(K\x01\x86.",
            b"K\x01h\x05.",
            b"}K\x01s.",
            b"K\x01K\x02R.",
            b"]K\x01b.",
            b"\x93.",
            b"K\x01\x94(\x94.",
        ] {
            assert!(decode(bytes).is_err(), "{bytes:?}");
        }
        assert_eq!(decode(b""), Err(DecodeError::Truncated));
        assert_eq!(decode(b"\x80\x05"), Err(DecodeError::Truncated));
        assert!(matches!(
            decode(b"\xff"),
            Err(DecodeError::UnknownOpcode { opcode: 0xff, .. })
        ));
    }
}
