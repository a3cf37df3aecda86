//! The module graph is one-way: a stage uses earlier stages and the shared leaves, never a later
//! one. This reads `src/**/*.rs`, collects which top-level module names which other
//! (`crate::<module>`), and which file module of a folder names a sibling (`super::<sibling>`,
//! `crate::<folder>::<sibling>`), and fails on any cycle, naming it. It also fails when a
//! content kind's module is used by anything but `records` (where kinds are registered), the
//! binary's commands and the fuzz targets. Tests (`#[cfg(test)]` items) are left out: a test
//! may reach anywhere.
//!
//! The source is tokenized with `proc-macro2` rather than scanned line by line, so comments,
//! doc comments and string literals never count as uses, and paths inside macro calls do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// Who uses whom: module name to the module names it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The content kinds' modules: each is used by `records`, which registers them, and by the
/// binary's commands (`cmd`) and the fuzz targets, never by a stage or by another kind.
const KINDS: [&str; 3] = ["artifact", "ledger", "failure"];

/// Besides the kinds themselves, the modules that may use a kind.
const KIND_USERS: [&str; 3] = ["records", "cmd", "fuzz"];

#[test]
fn only_the_registry_the_commands_and_the_fuzzer_use_a_content_kind() {
    let (top, _) = module_graph();
    let mut wrong = vec![];
    for (module, uses) in &top {
        let allowed = KIND_USERS.contains(&module.as_str());
        for kind in KINDS
            .iter()
            .filter(|k| uses.contains(**k) && **k != module.as_str())
        {
            if !allowed {
                wrong.push(format!("`{module}` uses the kind `{kind}`"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a content kind is named outside its module and `records` (hand what is needed to it \
         where it is registered, in `records`):\n{}",
        wrong.join("\n")
    );
    // The test can fail: the graph sees the kinds and `records` using them.
    assert!(KINDS.iter().all(|k| top["records"].contains(*k)));
}

/// Who uses whom between top-level modules, and between the file modules of each folder.
fn module_graph() -> (Graph, BTreeMap<String, Graph>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut top = Graph::new();
    let mut siblings: BTreeMap<String, Graph> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        // The crate root and the binary are not modules of the graph.
        if parts.len() == 1 && (parts[0] == "lib.rs" || parts[0] == "main.rs") {
            continue;
        }
        if is_test_file(&file) {
            continue;
        }
        let module = parts[0].trim_end_matches(".rs").to_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let tokens: TokenStream = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        let uses = crate_paths(tokens);
        let entry = top.entry(module.clone()).or_default();
        for path in &uses.crate_paths {
            if path[0] != module && path[0] != "self" {
                entry.insert(path[0].clone());
            }
        }
        // A file module inside a folder, besides the folder's `mod.rs` (its parent).
        if parts.len() == 2 && parts[1] != "mod.rs" {
            let me = parts[1].trim_end_matches(".rs").to_owned();
            let children = file_modules(&src.join(&module));
            let graph = siblings.entry(module.clone()).or_default();
            let named = uses.super_paths.iter().map(|p| &p[0]).chain(
                uses.crate_paths
                    .iter()
                    .filter(|p| p[0] == module && p.len() > 1)
                    .map(|p| &p[1]),
            );
            let entry = graph.entry(me.clone()).or_default();
            for name in named {
                if *name != me && children.contains(name) {
                    entry.insert(name.clone());
                }
            }
        }
    }
    (top, siblings)
}

#[test]
fn module_graph_has_no_cycles_between_top_level_modules() {
    let (top, siblings) = module_graph();
    // Each use closing a cycle, by its two ends, with the cycle shown.
    let mut found: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut add = |cycle: Vec<String>| {
        found.insert((cycle[0].clone(), cycle[1].clone()), shown(&cycle));
    };
    cycles(&top).into_iter().for_each(&mut add);
    for (folder, graph) in &siblings {
        for c in cycles(graph) {
            add(c.into_iter().map(|m| format!("{folder}::{m}")).collect());
        }
    }
    let cycles: Vec<String> = found
        .iter()
        .map(|((a, b), cycle)| format!("`{a}` uses `{b}`: {cycle}"))
        .collect();
    assert!(
        cycles.is_empty(),
        "cycles between modules (a module may use only earlier stages and shared leaves):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn cycle_finder_names_a_cycle_and_ignores_a_chain() {
    let graph = |edges: &[(&str, &str)]| {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry((*a).to_owned())
                .or_default()
                .insert((*b).to_owned());
            g.entry((*b).to_owned()).or_default();
        }
        g
    };
    assert!(cycles(&graph(&[("render", "model"), ("model", "diagnostic")])).is_empty());
    let found = cycles(&graph(&[
        ("render", "theme"),
        ("theme", "render"),
        ("model", "parse"),
        ("parse", "text"),
        ("text", "model"),
        ("text", "diagnostic"),
    ]));
    let shown: Vec<String> = found.iter().map(|c| shown(c)).collect();
    assert_eq!(
        shown,
        [
            "model -> parse -> text -> model",
            "parse -> text -> model -> parse",
            "render -> theme -> render",
            "text -> model -> parse -> text",
            "theme -> render -> theme",
        ]
    );
}

#[test]
fn uses_in_comments_strings_and_tests_do_not_count() {
    let source = r#"
        //! Uses `crate::theme` in a doc comment.
        use crate::{config::Config, model};
        use super::sibling::Thing;
        // crate::publish in a comment
        fn f() { let _ = "crate::serve"; g(crate::text::slugify("x")); }
        #[cfg(test)]
        mod tests { use crate::pipeline; }
    "#;
    let uses = crate_paths(source.parse().unwrap());
    let firsts: Vec<&str> = uses.crate_paths.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(firsts, ["config", "model", "text"]);
    assert_eq!(
        uses.super_paths,
        [vec!["sibling".to_owned(), "Thing".to_owned()]]
    );
}

/// Whether `file` (`dir/x.rs`) is a test module: its folder's `mod.rs` declares it with
/// `#[cfg(test)] mod x;`, as `markdown/tests.rs` is.
fn is_test_file(file: &Path) -> bool {
    let (Some(dir), Some(name)) = (file.parent(), file.file_stem()) else {
        return false;
    };
    let Ok(parent) = std::fs::read_to_string(dir.join("mod.rs")) else {
        return false;
    };
    let parent: String = parent.split_whitespace().collect::<Vec<_>>().join(" ");
    parent.contains(&format!("#[cfg(test)] mod {};", name.to_string_lossy()))
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    out.sort();
    out
}

/// The file modules of a folder: `a.rs` and `a/mod.rs` are `a`.
fn file_modules(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            if p.is_dir() {
                p.join("mod.rs").exists().then_some(name)
            } else {
                name.strip_suffix(".rs")
                    .filter(|n| *n != "mod")
                    .map(str::to_owned)
            }
        })
        .collect()
}

/// The paths a file names, outside test items: after `crate::` and after `super::`, each as its
/// first one or two segments.
#[derive(Default)]
struct Uses {
    crate_paths: Vec<Vec<String>>,
    super_paths: Vec<Vec<String>>,
}

fn crate_paths(tokens: TokenStream) -> Uses {
    let mut uses = Uses::default();
    collect(tokens, &mut uses);
    uses
}

fn collect(tokens: TokenStream, uses: &mut Uses) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        // `#[cfg(test)]`: skip the item it marks, up to its body or its `;`.
        if is_cfg_test(&tokens, i) {
            i += 2;
            while i < tokens.len() {
                match &tokens[i] {
                    TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => break,
                    TokenTree::Punct(p) if p.as_char() == ';' => break,
                    _ => i += 1,
                }
            }
            i += 1;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => collect(g.stream(), uses),
            TokenTree::Ident(id)
                if (id == "crate" || id == "super") && is_path_sep(&tokens, i + 1) =>
            {
                let found = path_after(&tokens, i + 3);
                if id == "crate" {
                    uses.crate_paths.extend(found);
                } else {
                    uses.super_paths.extend(found);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// `#` then `[cfg(test)]` at `i`.
fn is_cfg_test(tokens: &[TokenTree], i: usize) -> bool {
    matches!(&tokens[i], TokenTree::Punct(p) if p.as_char() == '#')
        && matches!(tokens.get(i + 1), Some(TokenTree::Group(g))
            if g.delimiter() == Delimiter::Bracket
                && g.stream().to_string().replace(' ', "") == "cfg(test)")
}

/// `::` at `i`.
fn is_path_sep(tokens: &[TokenTree], i: usize) -> bool {
    matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':')
        && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
}

/// The path (or, for `{a, b::c}`, the paths) starting at `i`, each up to two segments.
fn path_after(tokens: &[TokenTree], i: usize) -> Vec<Vec<String>> {
    match tokens.get(i) {
        Some(TokenTree::Ident(first)) => {
            let mut path = vec![first.to_string()];
            if is_path_sep(tokens, i + 1)
                && let Some(TokenTree::Ident(second)) = tokens.get(i + 3)
            {
                path.push(second.to_string());
            }
            vec![path]
        }
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let mut out = vec![];
            let mut start = true;
            for (j, t) in inner.iter().enumerate() {
                match t {
                    TokenTree::Punct(p) if p.as_char() == ',' => start = true,
                    TokenTree::Ident(_) if start => {
                        out.extend(path_after(&inner, j));
                        start = false;
                    }
                    _ => start = false,
                }
            }
            out
        }
        _ => vec![],
    }
}

/// Every use that closes a cycle: an edge `a -> b` from which `a` can be reached again, each
/// shown with a shortest such cycle (starting at `a`), sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = vec![];
    for (from, targets) in graph {
        for to in targets {
            if let Some(back) = shortest_path(graph, to, from) {
                let mut cycle = vec![from.clone()];
                cycle.extend(back.into_iter().take_while(|m| m != from));
                found.push(cycle);
            }
        }
    }
    found.sort();
    found
}

/// A shortest path from `from` to `to` (both included), breadth first.
fn shortest_path(graph: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    came_from.insert(from, from);
    while let Some(at) = queue.pop_front() {
        if at == to {
            let mut path = vec![at.to_owned()];
            let mut step = at;
            while step != from {
                step = came_from[step];
                path.push(step.to_owned());
            }
            path.reverse();
            return Some(path);
        }
        for next in graph.get(at).into_iter().flatten() {
            if !came_from.contains_key(next.as_str()) {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

/// `a -> b -> a`.
fn shown(cycle: &[String]) -> String {
    let mut parts = cycle.to_vec();
    parts.push(cycle[0].clone());
    parts.join(" -> ")
}
