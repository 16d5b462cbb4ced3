// A text editor with fail2ban's INI highlighted, on CodeMirror 6. Its
// own chunk: only the file editor loads it. Tab is left to move the focus on (keyboard users
// leave the editor with it); indenting is the space bar's job.
import { useEffect, useRef } from "react";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { HighlightStyle, StreamLanguage, syntaxHighlighting, type StreamParser } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { styleNonce } from "../lib/cspNonce";

/**
 * fail2ban's INI, as Python's configparser reads it: `[section]` headers, `#` and `;` comments,
 * `key = value` (or `key: value`), and indented lines that continue the value above.
 */
const fail2banIni: StreamParser<{ inValue: boolean }> = {
  name: "fail2ban-ini",
  startState: () => ({ inValue: false }),
  token(stream, state) {
    if (stream.sol()) {
      state.inValue = false;
      // An indented line continues the value above it.
      if (stream.eatSpace()) {
        if (stream.peek() === "#" || stream.peek() === ";") {
          stream.skipToEnd();
          return "comment";
        }
        stream.skipToEnd();
        return "string";
      }
      const first = stream.peek();
      if (first === "#" || first === ";") {
        stream.skipToEnd();
        return "comment";
      }
      if (first === "[") {
        stream.skipToEnd();
        return "heading";
      }
      if (stream.match(/^[^=:]+/)) return "propertyName";
    }
    if (!state.inValue && stream.match(/^\s*[=:]\s*/)) {
      state.inValue = true;
      return "operator";
    }
    stream.skipToEnd();
    return "string";
  },
};

/** Colours from Fluent's tokens (CSS variables), so that both themes keep their contrast. */
const highlight = HighlightStyle.define([
  { tag: tags.comment, color: "var(--colorNeutralForeground3)", fontStyle: "italic" },
  { tag: tags.heading, color: "var(--colorPaletteBerryForeground2)", fontWeight: "600" },
  { tag: tags.propertyName, color: "var(--colorBrandForeground1)" },
  { tag: tags.operator, color: "var(--colorNeutralForeground3)" },
  { tag: tags.string, color: "var(--colorNeutralForeground1)" },
]);

const theme = EditorView.theme({
  "&": {
    fontFamily: "var(--fontFamilyMonospace)",
    fontSize: "var(--fontSizeBase200)",
    border: "1px solid var(--colorNeutralStroke1)",
    borderRadius: "var(--borderRadiusMedium)",
    backgroundColor: "var(--colorNeutralBackground1)",
    color: "var(--colorNeutralForeground1)",
  },
  "&.cm-focused": { outline: "2px solid var(--colorStrokeFocus2)" },
  ".cm-content": { caretColor: "var(--colorNeutralForeground1)", minHeight: "360px" },
  ".cm-scroller": { fontFamily: "var(--fontFamilyMonospace)", maxHeight: "560px", overflow: "auto" },
  ".cm-gutters": { backgroundColor: "var(--colorNeutralBackground2)", color: "var(--colorNeutralForeground2)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--colorSubtleBackgroundHover)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": { backgroundColor: "var(--colorBrandBackground2)" },
});

export default function CodeEditor({ value, onChange, label }: { value: string; onChange: (value: string) => void; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          // The styles CodeMirror writes carry the page's nonce (its CSP allows no others).
          EditorView.cspNonce.of(styleNonce() ?? ""),
          lineNumbers(),
          history(),
          drawSelection(),
          highlightActiveLine(),
          StreamLanguage.define(fail2banIni),
          syntaxHighlighting(highlight),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          theme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is made once; later values arrive through the effect below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [label]);

  // A value set from outside (another version loaded, a revert) replaces the text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} />;
}
