"""OpenNebula template syntax, parsed the way oned 7.4.0 parses it: a port of
src/parsers/template_parser.l (flex: longest match, ties to the earlier rule, exclusive
start condition VALUE, flex's default rule echoing and skipping unmatched bytes) and of
src/parsers/template_syntax.y (the LALR tables bison generated for it, copied from the
committed template_syntax.cc, so errors are detected where, and worded as, oned words them),
followed by Template::parse_str_or_xml's trim of every value. See `parse`.

A parsed template is a `Template`: attribute names (upper-cased, as oned stores them)
mapped to a list of values, each a string or a dict (a vector) of string values. Keeping
every attribute a list avoids the single-vs-list ambiguity until the document is
rendered; rendering decides (one element -> object, several -> list), as oned does.
"""

import re


class TemplateSyntaxError(ValueError):
    pass


class Template:
    """Ordered multimap: NAME -> [value, ...]; value is str or dict[str, str]."""

    def __init__(self, items=None):
        self._attrs = {}
        for name, value in items or ():
            self.add(name, value)

    # -- construction -------------------------------------------------------------------
    def add(self, name, value):
        if isinstance(value, dict):
            value = {str(k).upper(): _scalar(v) for k, v in value.items()}
        else:
            value = _scalar(value)
        self._attrs.setdefault(str(name).upper(), []).append(value)

    def set(self, name, value):
        """Replace every attribute called `name` by one value."""
        self._attrs.pop(str(name).upper(), None)
        self.add(name, value)

    def remove(self, name):
        return self._attrs.pop(str(name).upper(), None)

    def merge(self, other):
        """oned's update type 1 (and instantiate's extra template): each attribute named
        in `other` replaces all attributes of that name here."""
        for name, values in other.items():
            self._attrs[name] = [dict(v) if isinstance(v, dict) else v for v in values]
        return self

    def copy(self):
        return Template().merge(self)

    # -- access -------------------------------------------------------------------------
    def items(self):
        return list(self._attrs.items())

    def names(self):
        return list(self._attrs)

    def get(self, name, default=None):
        values = self._attrs.get(str(name).upper())
        return values[0] if values else default

    def get_all(self, name):
        return list(self._attrs.get(str(name).upper(), []))

    def __contains__(self, name):
        return str(name).upper() in self._attrs

    def __len__(self):
        return len(self._attrs)

    def __eq__(self, other):
        return isinstance(other, Template) and self._attrs == other._attrs

    def __repr__(self):
        return "Template(%r)" % (self._attrs,)

    def to_dict(self):
        """Plain view: single values unwrapped, repeated ones as lists."""
        return {k: v[0] if len(v) == 1 else list(v) for k, v in self._attrs.items()}

    @classmethod
    def from_dict(cls, data):
        """Build from a JSON-like dict (OneFlow `template_contents`): dict -> vector,
        list -> repeated attribute, everything else -> string."""
        tpl = cls()
        for name, value in data.items():
            for item in value if isinstance(value, list) else [value]:
                tpl.add(name, item)
        return tpl

    def render(self):
        return render(self)


def _scalar(value):
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return "" if value is None else str(value)


def _quote(value):
    """The Ruby OCA's attr_to_str: only double quotes are escaped (oned's unescape knows
    no other escape)."""
    return '"' + value.replace('"', '\\"') + '"'


def render(template):
    """Template text as the Ruby OCA's template_like_str writes it (what OneGate sends
    back to oned when it deletes an attribute)."""
    lines = []
    for name, values in template.items():
        for value in values:
            if isinstance(value, dict):
                inner = ",\n".join("  %s=%s" % (k, _quote(v)) for k, v in value.items())
                lines.append("%s=[\n%s ]" % (name, inner))
            else:
                lines.append("%s=%s" % (name, _quote(value)))
    return "\n".join(lines)


# -- the lexer: template_parser.l --------------------------------------------------------------
# Token numbers as bison translated them (yytranslate): $end 0, error 1, $undefined 2.
EOF_, EQUAL, COMMA, OBRACKET, CBRACKET, EQUAL_EMPTY, CCDATA, STRING, VARIABLE = 0, 3, 4, 5, 6, 7, 8, 9, 10
TOKEN_NAMES = ("$end", "error", "$undefined", "EQUAL", "COMMA", "OBRACKET", "CBRACKET", "EQUAL_EMPTY",
               "CCDATA", "STRING", "VARIABLE", "$accept", "template_file", "template", "attribute",
               "array_val")

# The lexer works on bytes like flex; [[:blank:]] is space and tab, [[:alnum:]] ASCII only.
_INITIAL_RULES = (
    (re.compile(rb"[ \t]*#.*\n"), None),                # comment lines (need their newline)
    (re.compile(rb"[ \t\n]+"), None),                    # blanks and empty lines
    (re.compile(rb"[A-Za-z0-9_]+"), VARIABLE),
    (re.compile(rb"[ \t]*=[ \t]*"), EQUAL),              # BEGIN VALUE
    (re.compile(rb"[ \t]*=[ \t]*\n"), EQUAL_EMPTY),
    (re.compile(rb"[ \t\n]*,[ \t\n]*"), COMMA),
    (re.compile(rb"[ \t\n]*\][ \t\n]*"), CBRACKET),
)
_VALUE_OBRACKET = re.compile(rb"[ \t]*\[[ \t\n]*")
_VALUE_CDATA = re.compile(rb".*\]\]>.*")              # `.` is any byte but newline, as in flex
_VALUE_STRING = re.compile(rb"[^=#\t \n,\[\]]+")


def _quoted_length(data, pos):
    """Length of the longest match of flex's \"([^\"]|"\\\"")*\" at pos (0: none). An inner
    double quote must follow a backslash; every quote is a possible end, and the match
    runs on while the quote found could also be an inner one."""
    if data[pos:pos + 1] != b'"':
        return 0
    best = 0
    index = data.find(b'"', pos + 1)
    while index >= 0:
        best = index + 1 - pos
        if data[index - 1:index] != b"\\" or index - 1 == pos:
            break
        index = data.find(b'"', index + 1)
    return best


def _regex_length(regex, data, pos):
    match = regex.match(data, pos)
    return match.end() - pos if match else 0


class Token:
    __slots__ = ("kind", "text", "line", "first_column", "last_column")

    def __init__(self, kind, text, line, first_column, last_column):
        self.kind, self.text = kind, text
        self.line, self.first_column, self.last_column = line, first_column, last_column

    def __repr__(self):
        return "Token(%s, %r)" % (TOKEN_NAMES[self.kind], self.text)


def tokens(text):
    """Yield the tokens oned's lexer returns for `text`, then $end. YY_USER_ACTION's
    location bookkeeping is kept: the line after the token's own newlines, columns counted
    in bytes from 1 over the whole input (never reset per line)."""
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
    data = data.split(b"\0", 1)[0]            # template__scan_string takes a C string
    pos, line, column, in_value = 0, 1, 1, False
    while True:
        if pos >= len(data):
            yield Token(EOF_, b"", line, column, column)
            return
        # longest match; on a tie the rule written first wins
        if in_value:
            candidates = ((_regex_length(_VALUE_OBRACKET, data, pos), OBRACKET),
                          (_regex_length(_VALUE_CDATA, data, pos), CCDATA),
                          (_quoted_length(data, pos), "QUOTED"),
                          (_regex_length(_VALUE_STRING, data, pos), STRING))
        else:
            candidates = tuple((_regex_length(rx, data, pos), kind) for rx, kind in _INITIAL_RULES)
        length, kind = 0, None
        for cand_length, cand_kind in candidates:
            if cand_length > length:
                length, kind = cand_length, cand_kind
        if length == 0:                    # flex's default rule: ECHO the byte, nothing returned
            length, kind = 1, None
        lexeme = data[pos:pos + length]
        pos += length
        line += lexeme.count(b"\n")
        first_column, column = column, column + length
        if kind is None:
            continue
        if kind == "QUOTED":
            kind, lexeme = STRING, lexeme[1:-1]
        if kind == EQUAL:
            in_value = True
        elif kind in (OBRACKET, CCDATA, STRING):
            in_value = False
        yield Token(kind, lexeme, line, first_column, column)


# -- the grammar: template_syntax.y, as the LALR tables of template_syntax.cc ----------------
_YYFINAL, _YYLAST, _YYNTOKENS, _YYPACT_NINF = 7, 16, 11, -6
_YYPACT = (0, -2, 8, 0, -6, -5, -6, -6, -6, -4, -6, -6, -6, 9, 3, 2, 4, -6, -6, 10, 6, -6)
_YYDEFACT = (2, 0, 0, 3, 4, 0, 9, 1, 5, 0, 10, 6, 8, 0, 0, 0, 0, 7, 11, 0, 0, 12)
_YYPGOTO = (-6, -6, -6, 13, -6)
_YYDEFGOTO = (-1, 2, 3, 4, 14)
_YYTABLE = (9, 5, 12, 10, 11, 6, 13, 16, 7, 17, 1, 18, 15, 20, 19, 21, 8)
_YYCHECK = (5, 3, 6, 8, 9, 7, 10, 4, 0, 6, 10, 9, 3, 3, 10, 9, 3)
_YYR1 = (0, 11, 12, 12, 13, 13, 14, 14, 14, 14, 14, 15, 15)
_YYR2 = (0, 2, 0, 1, 1, 2, 3, 5, 4, 2, 3, 3, 5)


def _unescape(value):
    """The grammar's unescape: `\\"` becomes `"`, nothing else is an escape."""
    return value.replace(b'\\"', b'"')


def _decode(value):
    return value.decode("utf-8", "surrogateescape")


def attribute_name(name):
    """The Attribute constructor: upper-cased; `ONE_` prepended when the name does not
    start with a letter or `_`, or starts with `XML` (checked before upper-casing)."""
    fixed = name.upper()
    if (name and not (name[0].isascii() and name[0].isalpha() or name[0] == "_")) or name.startswith("XML"):
        fixed = "ONE_" + fixed
    return fixed


def _syntax_error(state, token):
    """yysyntax_error with YYERROR_VERBOSE (at most 4 expected tokens are listed), then
    template_error's location suffix."""
    names = [TOKEN_NAMES[token.kind]]
    yyn = _YYPACT[state]
    if yyn != _YYPACT_NINF:
        for yyx in range(-yyn if yyn < 0 else 0, min(_YYLAST - yyn + 1, _YYNTOKENS)):
            if _YYCHECK[yyx + yyn] == yyx and yyx != 1:
                if len(names) == 5:
                    names = names[:1]
                    break
                names.append(TOKEN_NAMES[yyx])
    message = "syntax error, unexpected %s" % names[0]
    if len(names) > 1:
        message += ", expecting " + " or ".join(names[1:])
    return TemplateSyntaxError("%s at line %i, columns %i:%i" % (message, token.line, token.first_column,
                                                                 token.last_column))


def _parse_tokens(text):
    """bison's yyparse over the generated tables; the semantic actions of
    template_syntax.y build the Template (a vector is a std::map: sorted keys, the first
    of two equal keys wins)."""
    tpl = Template()
    stream = tokens(text)
    states, values = [0], [None]
    lookahead = None
    while True:
        state = states[-1]
        if state == _YYFINAL:
            return tpl
        yyn = _YYPACT[state]
        rule = None
        if yyn != _YYPACT_NINF:
            if lookahead is None:
                lookahead = next(stream)
            yyn += lookahead.kind
            if 0 <= yyn <= _YYLAST and _YYCHECK[yyn] == lookahead.kind:
                action = _YYTABLE[yyn]
                if action > 0:                     # shift
                    states.append(action)
                    values.append(lookahead.text)
                    lookahead = None
                    continue
                rule = -action                     # (no error entries: YYTABLE_NINF is -1)
        if rule is None:
            rule = _YYDEFACT[state]
            if rule == 0:
                raise _syntax_error(state, lookahead)
        size = _YYR2[rule]
        rhs = values[len(values) - size:]
        result = None
        if rule == 6:        # VARIABLE EQUAL STRING
            tpl.add(attribute_name(_decode(rhs[0])), _decode(_unescape(rhs[2])))
        elif rule == 7:      # VARIABLE EQUAL OBRACKET array_val CBRACKET
            tpl.add(attribute_name(_decode(rhs[0])), dict(sorted(rhs[3].items())))
        elif rule == 8:      # VARIABLE EQUAL OBRACKET CBRACKET
            tpl.add(attribute_name(_decode(rhs[0])), {})
        elif rule == 9:      # VARIABLE EQUAL_EMPTY
            tpl.add(attribute_name(_decode(rhs[0])), "")
        elif rule == 10:     # VARIABLE EQUAL CCDATA: YYABORT, no message
            raise TemplateSyntaxError("")
        elif rule == 11:     # array_val: VARIABLE EQUAL STRING
            result = {_decode(rhs[0]).upper(): _decode(_unescape(rhs[2]))}
        elif rule == 12:     # array_val COMMA VARIABLE EQUAL STRING
            result = rhs[0]
            result.setdefault(_decode(rhs[2]).upper(), _decode(_unescape(rhs[4])))
        if size:
            del states[-size:]
            del values[-size:]
        lhs = _YYR1[rule] - _YYNTOKENS
        goto = _YYPGOTO[lhs] + states[-1]
        if 0 <= goto <= _YYLAST and _YYCHECK[goto] == states[-1]:
            states.append(_YYTABLE[goto])
        else:
            states.append(_YYDEFGOTO[lhs])
        values.append(result)


def _trim(value):
    """one_util::trim: isspace() in the C locale, both ends."""
    return value.strip(" \t\n\v\f\r")


def parse(text):
    """Parse template text as oned's Template::parse_str_or_xml does for text that does not
    start with `<` (TemplateSyntaxError on bad input, its message oned's, e.g. `syntax
    error, unexpected COMMA, expecting $end or VARIABLE at line 1, columns 9:10`; an empty
    message where oned aborts without one, for CDATA in a value). Every value is trimmed
    afterwards (trim_attributes). XML templates are not supported."""
    parsed = _parse_tokens(text or "")
    trimmed = Template()
    for name, values in parsed.items():
        for value in values:
            if isinstance(value, dict):
                trimmed.add(name, {k: _trim(v) for k, v in value.items()})
            else:
                trimmed.add(name, _trim(value))
    return trimmed
