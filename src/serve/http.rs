//! The HTTP side of `serve`: the last good site from memory with the media types of `policy`,
//! `index.html` for folders, the site's 404 page with status 404, the live-reload script, and
//! the event stream. Each request has a thread of its own (an event stream stays open).

use std::io::Write as _;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use tiny_http::{Header, Method, Request, Response};

use super::{Hub, sse};

/// Where the live-reload script is served.
pub(crate) const SCRIPT_PATH: &str = "/__ancapex/livereload.js";

/// Where the event stream is served.
pub(crate) const EVENTS_PATH: &str = "/__ancapex/events";

const SCRIPT: &str = include_str!("livereload.js");

/// How often an idle event stream gets a comment, so a closed one is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Answers requests until the server is dropped.
pub(crate) fn serve(server: &tiny_http::Server, hub: &Arc<Hub>) {
    for request in server.incoming_requests() {
        let hub = Arc::clone(hub);
        std::thread::spawn(move || handle(request, &hub));
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn respond(request: Request, status: u16, media_type: &str, body: Vec<u8>) {
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", media_type))
        // A preview is never cached: every load shows the last build.
        .with_header(header("Cache-Control", "no-store"));
    let _ = request.respond(response);
}

fn handle(request: Request, hub: &Hub) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        respond(
            request,
            405,
            "text/plain; charset=utf-8",
            b"method not allowed\n".to_vec(),
        );
        return;
    }
    let path = request_path(request.url());
    match path.as_str() {
        SCRIPT_PATH => respond(
            request,
            200,
            "text/javascript; charset=utf-8",
            SCRIPT.as_bytes().to_vec(),
        ),
        EVENTS_PATH => events(request, hub),
        _ => file(request, &path, hub),
    }
}

/// The URL's path, percent-decoded, without query or fragment.
fn request_path(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn file(request: Request, path: &str, hub: &Hub) {
    let files = Arc::clone(&hub.lock().files);
    let wanted = crate::url::output_file(path);
    if let Some(f) = files.get(&wanted) {
        return send_file(request, &wanted, f, 200);
    }
    if files.contains_key(&format!("{wanted}/index.html")) {
        // A folder asked for without its slash: where its links are relative to.
        let response = Response::empty(308)
            .with_header(header("Location", &format!("{path}/")))
            .with_header(header("Cache-Control", "no-store"));
        let _ = request.respond(response);
        return;
    }
    if matches!(
        wanted.as_str(),
        "_headers" | crate::manifest::FILE | crate::manifest::SIGNATURE
    ) {
        let sealed = hub
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(crate::pipeline::Session::sealed);
        if let Some(Ok(files)) = sealed {
            if let Some(r) = files.into_iter().find(|r| r.path == wanted) {
                if let crate::model::Body::Bytes(bytes) = r.body {
                    return send(request, &wanted, &bytes, 200);
                }
            }
        }
    }
    if let Some(f) = files.get("404.html") {
        send_file(request, "404.html", f, 404);
    } else {
        // Nothing built yet (the first build failed): a page for the overlay to show on.
        let page = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Not built</title></head><body><h1>The site has not built yet</h1></body></html>";
        send(request, "404.html", page.as_bytes(), 404);
    }
}

/// Sends an output of the site (as `send`), or why it could not be read back.
fn send_file(request: Request, path: &str, file: &crate::pipeline::File, status: u16) {
    match file.bytes() {
        Ok(bytes) => send(request, path, &bytes, status),
        Err(e) => respond(
            request,
            500,
            "text/plain; charset=utf-8",
            format!("could not read `{path}` back from the serve session's temporary file: {e}\n")
                .into_bytes(),
        ),
    }
}

/// Sends a file of the site; an HTML page gets the live-reload script.
fn send(request: Request, path: &str, bytes: &[u8], status: u16) {
    let media_type = crate::policy::media_type(path);
    let body = if path.ends_with(".html") {
        inject(bytes)
    } else {
        bytes.to_vec()
    };
    respond(request, status, media_type, body);
}

/// The page with the live-reload script added, as an external script (the site's
/// Content-Security-Policy allows no inline script): before `</head>`, else before `<body`,
/// else at the end.
pub(crate) fn inject(html: &[u8]) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" defer></script>");
    let at = find(html, b"</head>")
        .or_else(|| find(html, b"<body"))
        .unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The event stream: the current state at once (`problems` or `ok`), then every event, with a
/// comment now and then so that a closed stream is noticed and forgotten.
fn events(request: Request, hub: &Hub) {
    let (tx, rx) = mpsc::channel();
    let initial = {
        let mut shared = hub.lock();
        shared.clients.push(tx);
        match &shared.problems {
            Some(p) => sse("problems", p),
            None => sse("ok", "{}"),
        }
    };
    let mut w = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nretry: 500\n\n";
    if w.write_all(head.as_bytes()).is_err()
        || w.write_all(initial.as_bytes()).is_err()
        || w.flush().is_err()
    {
        return;
    }
    loop {
        let chunk = match rx.recv_timeout(KEEP_ALIVE) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => ": keep-alive\n\n".to_owned(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if w.write_all(chunk.as_bytes()).is_err() || w.flush().is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{inject, request_path};

    #[test]
    fn script_goes_before_the_end_of_head_else_before_body_else_last() {
        let tag = "<script src=\"/__ancapex/livereload.js\" defer></script>";
        assert_eq!(
            String::from_utf8(inject(b"<html><head><title>x</title></head><body>y")).unwrap(),
            format!("<html><head><title>x</title>{tag}</head><body>y")
        );
        assert_eq!(
            String::from_utf8(inject(b"<title>x</title><body>y")).unwrap(),
            format!("<title>x</title>{tag}<body>y")
        );
        assert_eq!(
            String::from_utf8(inject(b"<p>y")).unwrap(),
            format!("<p>y{tag}")
        );
    }

    #[test]
    fn request_paths_are_decoded_without_query() {
        assert_eq!(request_path("/a%20b/?x=1"), "/a b/");
        assert_eq!(request_path("/caf%C3%A9/#top"), "/café/");
        assert_eq!(request_path("/bad%zz"), "/bad%zz");
        assert_eq!(request_path("/end%2"), "/end%2");
        assert_eq!(request_path("/%é"), "/%é");
    }
}
