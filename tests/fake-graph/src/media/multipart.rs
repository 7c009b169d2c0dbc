//! Just enough `multipart/form-data` parsing for the media upload.

use bytes::Bytes;

/// One form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Bytes,
}

/// The parts of `body`, or `None` when it is not well-formed multipart.
pub fn parse(content_type: &str, body: &Bytes) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))?;
    let delimiter = format!("--{boundary}");
    let closing = format!("\r\n{delimiter}");
    let mut offset = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    while !body[offset..].starts_with(b"--") {
        offset += 2; // CRLF after the delimiter
        let header_end = find(body, b"\r\n\r\n", offset)?;
        let headers = std::str::from_utf8(body.get(offset..header_end)?).ok()?;
        let data_start = header_end + 4;
        let data_end = find(body, closing.as_bytes(), data_start)?;
        parts.push(part(headers, body.slice(data_start..data_end))?);
        offset = data_end + closing.len();
    }
    Some(parts)
}

fn part(headers: &str, data: Bytes) -> Option<Part> {
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in headers.split("\r\n") {
        let (key, value) = line.split_once(':')?;
        match key.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                name = attribute(value, "name");
                filename = attribute(value, "filename");
            }
            "content-type" => content_type = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    Some(Part {
        name: name?,
        filename,
        content_type,
        data,
    })
}

fn attribute(header: &str, key: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k == key).then(|| v.trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_field_and_a_file() {
        let body = Bytes::from_static(
            b"--XX\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
              --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\x01\x02\r\n--XX--\r\n",
        );
        let parts = parse("multipart/form-data; boundary=XX", &body).unwrap_or_default();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].data, Bytes::from_static(b"whatsapp"));
        assert_eq!(parts[1].filename.as_deref(), Some("a.jpg"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[1].data, Bytes::from_static(b"\x01\x02"));
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        assert!(parse(
            "multipart/form-data; boundary=XX",
            &Bytes::from_static(b"--XX\r\nbroken")
        )
        .is_none());
        assert!(parse("text/plain", &Bytes::from_static(b"")).is_none());
    }
}
