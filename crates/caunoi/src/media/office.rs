//! Documents: a Word file is opened before it is accepted, not just recognized.
//!
//! DOCX (a ZIP of XML parts): `[Content_Types].xml` and `word/document.xml` present, the
//! content types not macro-enabled, no VBA project (`vbaProject.bin`, `vbaData.xml`), no ActiveX
//! controls, no embedded OLE objects (`*.bin`), no executable, script or nested archive — by
//! name or by content — no encrypted or oddly named part, at most [`MAX_PARTS`] parts, and the
//! parts' real (decompressed, counted as read) size under [`unpacked_limit`], so a ZIP bomb
//! stops early. DOC (an OLE2 compound file): a `WordDocument` stream, no `Macros`/VBA storage,
//! no `ObjectPool` (embedded objects). PDF: the `%PDF-` header and `%%EOF` at the end.

use std::io::{Cursor, Read};

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFlaw {
    /// The file does not open as its format, or ends too early.
    Corrupt,
    /// It carries macros (VBA) or ActiveX controls.
    Macros,
    /// An executable or script is inside.
    Executable,
    /// Another archive or an embedded object is inside.
    Nested,
    /// Password-protected: it cannot be checked.
    Encrypted,
    /// Too many parts, or too large once unpacked.
    TooLarge,
}

/// Most parts a DOCX may have (a long report with many images has a few hundred).
pub const MAX_PARTS: usize = 2000;

/// Most bytes a DOCX of `packed` bytes may unpack to: 50 times its size, at least 10 MB and at
/// most 100 MB (text-only documents compress about tenfold; photos not at all).
pub fn unpacked_limit(packed: usize) -> u64 {
    (packed as u64).saturating_mul(50).clamp(10 << 20, 100 << 20)
}

const EXECUTABLE: [&str; 24] = [
    "exe", "dll", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "ps1", "vbs", "vbe", "js", "jse", "wsf", "wsh",
    "hta", "jar", "cpl", "lnk", "sh", "elf", "apk", "reg",
];
const ARCHIVE: [&str; 22] = [
    "zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "cab", "iso", "tar", "docx", "docm", "dotm", "xlsx", "xlsm", "xlsb",
    "pptx", "pptm", "odt", "ods", "bin", "ole",
];

/// What a part's first bytes say it is, when it is something a document must not carry.
fn dangerous_content(head: &[u8]) -> Option<DocumentFlaw> {
    const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if head.starts_with(b"MZ") || head.starts_with(b"\x7FELF") {
        Some(DocumentFlaw::Executable)
    } else if head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"Rar!")
        || head.starts_with(b"7z\xBC\xAF")
        || head.starts_with(&[0x1F, 0x8B])
        || head.starts_with(&OLE2)
    {
        Some(DocumentFlaw::Nested)
    } else {
        None
    }
}

/// Checks a DOCX (see the module doc).
pub fn check_docx(bytes: &[u8]) -> Result<(), DocumentFlaw> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| DocumentFlaw::Corrupt)?;
    if zip.len() > MAX_PARTS {
        return Err(DocumentFlaw::TooLarge);
    }
    let limit = unpacked_limit(bytes.len());
    let mut total = 0u64;
    let (mut content_types, mut document) = (false, false);
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("assword") || m.contains("ncrypt") => {
                DocumentFlaw::Encrypted
            }
            _ => DocumentFlaw::Corrupt,
        })?;
        if part.encrypted() {
            return Err(DocumentFlaw::Encrypted);
        }
        let name = part.name().map_err(|_| DocumentFlaw::Corrupt)?.to_ascii_lowercase();
        if name.starts_with('/') || name.contains('\\') || name.split('/').any(|s| s == "..") || name.contains('\0') {
            return Err(DocumentFlaw::Corrupt);
        }
        if part.is_dir() {
            continue;
        }
        let file = name.rsplit('/').next().unwrap_or_default();
        let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
        if file == "vbaproject.bin" || file == "vbadata.xml" || name.contains("activex/") {
            return Err(DocumentFlaw::Macros);
        }
        if EXECUTABLE.contains(&ext) {
            return Err(DocumentFlaw::Executable);
        }
        if ARCHIVE.contains(&ext) || name.contains("embeddings/") {
            return Err(DocumentFlaw::Nested);
        }
        // Read every part for real: declared sizes are not trusted.
        let mut data = Vec::new();
        let wanted = if name == "[content_types].xml" { 1 << 20 } else { 8 };
        let mut head = [0u8; 8];
        let mut head_len = 0;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = part.read(&mut buf).map_err(|_| DocumentFlaw::Corrupt)?;
            if n == 0 {
                break;
            }
            if head_len < head.len() {
                let k = n.min(head.len() - head_len);
                head[head_len..head_len + k].copy_from_slice(&buf[..k]);
                head_len += k;
            }
            if data.len() < wanted {
                data.extend_from_slice(&buf[..n.min(wanted - data.len())]);
            }
            total += n as u64;
            if total > limit {
                return Err(DocumentFlaw::TooLarge);
            }
        }
        // Embedded fonts are obfuscated (their first bytes scrambled), so their content says nothing.
        if let Some(flaw) = dangerous_content(&head[..head_len]).filter(|_| ext != "odttf") {
            return Err(flaw);
        }
        if name == "[content_types].xml" {
            content_types = true;
            let text = String::from_utf8_lossy(&data).to_ascii_lowercase();
            if text.contains("macroenabled") || text.contains("vbaproject") {
                return Err(DocumentFlaw::Macros);
            }
        }
        document |= name == "word/document.xml";
    }
    if content_types && document { Ok(()) } else { Err(DocumentFlaw::Corrupt) }
}

/// Checks a Word 97–2003 document (see the module doc).
pub fn check_doc(bytes: &[u8]) -> Result<(), DocumentFlaw> {
    // The compound-file reader validates as it opens; any surprise there is a corrupt file.
    let opened = std::panic::catch_unwind(|| -> Result<Vec<String>, DocumentFlaw> {
        let cfb = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| DocumentFlaw::Corrupt)?;
        if !cfb.is_stream("/WordDocument") {
            return Err(DocumentFlaw::Corrupt);
        }
        Ok(cfb.walk().map(|e| e.path().to_string_lossy().to_ascii_lowercase()).collect())
    })
    .map_err(|_| DocumentFlaw::Corrupt)??;
    for path in opened {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.iter().any(|p| matches!(*p, "macros" | "_vba_project_cur" | "vba" | "_vba_project")) {
            return Err(DocumentFlaw::Macros);
        }
        if parts.contains(&"objectpool") {
            return Err(DocumentFlaw::Nested);
        }
    }
    Ok(())
}

/// Checks a PDF: the header, and `%%EOF` in its last kilobyte (an interrupted upload lacks it).
pub fn check_pdf(bytes: &[u8]) -> Result<(), DocumentFlaw> {
    let header = bytes.starts_with(b"%PDF-1.") || bytes.starts_with(b"%PDF-2.");
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if header && tail.windows(5).any(|w| w == b"%%EOF") { Ok(()) } else { Err(DocumentFlaw::Corrupt) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A DOCX with the given parts (name, content), deflated.
    pub(crate) fn docx_with(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in parts {
            w.start_file(*name, opts).expect("part");
            w.write_all(data).expect("write");
        }
        w.finish().expect("zip").into_inner()
    }

    pub(crate) const CONTENT_TYPES: &[u8] = b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";

    pub(crate) fn docx() -> Vec<u8> {
        docx_with(&[("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", b"<w:document/>")])
    }

    #[test]
    fn a_plain_docx_passes() {
        assert_eq!(check_docx(&docx()), Ok(()));
    }

    #[test]
    fn dangerous_docx_parts_are_refused() {
        let base: [(&str, &[u8]); 2] =
            [("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", b"<w:document/>")];
        let with = |extra: (&str, &[u8])| {
            let mut parts = base.to_vec();
            parts.push(extra);
            check_docx(&docx_with(&parts))
        };
        assert_eq!(with(("word/evil.exe", b"MZ\x90\0")), Err(DocumentFlaw::Executable));
        assert_eq!(with(("word/readme.txt", b"MZ\x90\0 a renamed program")), Err(DocumentFlaw::Executable));
        assert_eq!(with(("word/vbaProject.bin", b"\xD0\xCF\x11\xE0")), Err(DocumentFlaw::Macros));
        assert_eq!(with(("word/inner.zip", b"PK\x03\x04")), Err(DocumentFlaw::Nested));
        assert_eq!(with(("word/media/image1.png", b"PK\x03\x04 zip in disguise")), Err(DocumentFlaw::Nested));
        assert_eq!(with(("word/embeddings/oleObject1.bin", b"x")), Err(DocumentFlaw::Nested));
        assert_eq!(with(("../escape.xml", b"<x/>")), Err(DocumentFlaw::Corrupt));
        assert_eq!(check_docx(&docx_with(&[("word/document.xml", b"<w:document/>")])), Err(DocumentFlaw::Corrupt));
        let macro_types = docx_with(&[
            (
                "[Content_Types].xml",
                b"<Types><Default ContentType=\"application/vnd.ms-word.document.macroEnabled.main+xml\"/></Types>",
            ),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(check_docx(&macro_types), Err(DocumentFlaw::Macros));
        let d = docx();
        assert_eq!(check_docx(&d[..d.len() - 30]), Err(DocumentFlaw::Corrupt), "cut short");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 12 << 20];
        let bomb = docx_with(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("word/document.xml", b"<w:document/>"),
            ("word/media/big.xml", &zeros),
        ]);
        assert!(bomb.len() < 100 * 1024, "compressed to {} bytes", bomb.len());
        assert_eq!(check_docx(&bomb), Err(DocumentFlaw::TooLarge));
    }

    #[test]
    fn pdfs_need_their_header_and_end() {
        assert_eq!(check_pdf(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), Ok(()));
        assert_eq!(check_pdf(b"%PDF-1.7\n1 0 obj<<>>endobj\n"), Err(DocumentFlaw::Corrupt));
        assert_eq!(check_pdf(b"<html>%%EOF"), Err(DocumentFlaw::Corrupt));
    }

    #[test]
    fn word_97_files_are_opened() {
        assert_eq!(check_doc(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]), Err(DocumentFlaw::Corrupt));
        let make = |streams: &[&str]| {
            let mut c = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
            for s in streams {
                if let Some((dir, _)) = s.rsplit_once('/')
                    && !dir.is_empty()
                {
                    c.create_storage_all(dir).expect("storage");
                }
                c.create_stream(s).expect("stream").write_all(b"data").expect("write");
            }
            c.flush().expect("flush");
            c.into_inner().into_inner()
        };
        assert_eq!(check_doc(&make(&["/WordDocument", "/1Table"])), Ok(()));
        assert_eq!(check_doc(&make(&["/WordDocument", "/Macros/VBA/dir"])), Err(DocumentFlaw::Macros));
        assert_eq!(check_doc(&make(&["/WordDocument", "/ObjectPool/_1/\u{1}Ole10Native"])), Err(DocumentFlaw::Nested));
        assert_eq!(check_doc(&make(&["/Workbook"])), Err(DocumentFlaw::Corrupt));
    }
}
