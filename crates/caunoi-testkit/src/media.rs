//! Test files for the media checks: a photo as a phone writes it (EXIF with GPS, XMP, IPTC, a
//! comment) and an upload's multipart body.

/// Appends one 12-byte little-endian IFD entry.
fn ifd_entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    t.extend_from_slice(&tag.to_le_bytes());
    t.extend_from_slice(&kind.to_le_bytes());
    t.extend_from_slice(&count.to_le_bytes());
    t.extend_from_slice(&value.to_le_bytes());
}

/// A TIFF as a phone writes it: Make, Orientation `o`, a GPS IFD with latitude and longitude
/// whose values spell `GPS!`.
pub fn tiff_with_gps(o: u16) -> Vec<u8> {
    let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
    t.extend_from_slice(&3u16.to_le_bytes());
    ifd_entry(&mut t, 0x010F, 2, 4, u32::from_le_bytes(*b"Acme"));
    ifd_entry(&mut t, 0x0112, 3, 1, u32::from(o));
    ifd_entry(&mut t, 0x8825, 4, 1, 50);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    ifd_entry(&mut t, 0x0002, 5, 3, 80);
    ifd_entry(&mut t, 0x0004, 5, 3, 104);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.resize(80, 0);
    for _ in 0..6 {
        t.extend_from_slice(b"GPS!\0\0\0\0");
    }
    t
}

/// A little-endian TIFF: Make "Acme" and a GPS IFD at `lat` N, `lon` E (degrees, minutes,
/// hundredths of seconds).
pub fn tiff_at(lat: f64, lon: f64) -> Vec<u8> {
    let dms = |v: f64| {
        let d = v.trunc();
        let m = ((v - d) * 60.0).trunc();
        let s = ((v - d) * 60.0 - m) * 60.0;
        [(d as u32, 1u32), (m as u32, 1), ((s * 100.0).round() as u32, 100)]
    };
    let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
    // IFD0 at 8 (two entries, ends at 38); GPS IFD at 38 (four entries, ends at 92); rationals at 96.
    t.extend_from_slice(&2u16.to_le_bytes());
    ifd_entry(&mut t, 0x010F, 2, 4, u32::from_le_bytes(*b"Acme"));
    ifd_entry(&mut t, 0x8825, 4, 1, 38);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    ifd_entry(&mut t, 1, 2, 2, u32::from(b'N'));
    ifd_entry(&mut t, 2, 5, 3, 96);
    ifd_entry(&mut t, 3, 2, 2, u32::from(b'E'));
    ifd_entry(&mut t, 4, 5, 3, 120);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.resize(96, 0);
    for (n, d) in dms(lat).into_iter().chain(dms(lon)) {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    t
}

/// A JPEG's structure (16×8, one scan) after the given metadata segments (marker, body).
fn jpeg_with(metadata: &[(u8, &[u8])]) -> Vec<u8> {
    let seg = |j: &mut Vec<u8>, marker: u8, body: &[u8]| {
        j.extend_from_slice(&[0xFF, marker]);
        j.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(body);
    };
    let mut j = vec![0xFF, 0xD8];
    for (marker, body) in metadata {
        seg(&mut j, *marker, body);
    }
    seg(&mut j, 0xDB, &[0u8; 65]);
    seg(&mut j, 0xC0, &[8, 0, 8, 0, 16, 1, 1, 0x11, 0]);
    seg(&mut j, 0xC4, &[0u8; 20]);
    seg(&mut j, 0xDA, &[1, 1, 0, 0, 63, 0]);
    j.extend((0..2000u32).map(|i| (i % 200) as u8 + 1));
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn exif(tiff: Vec<u8>) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(tiff);
    exif
}

/// A JPEG's structure (16×8, one scan) with an EXIF block carrying GPS and Orientation `o`,
/// XMP with a location, IPTC and a comment.
pub fn gps_jpeg(o: u16) -> Vec<u8> {
    jpeg_with(&[
        (0xE1, &exif(tiff_with_gps(o))),
        (0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPSLatitude 20.95</x:xmpmeta>"),
        (0xED, b"Photoshop 3.0\08BIM\x04\x04 IPTC Ha Long"),
        (0xFE, b"Shot by Nguyen Van A"),
    ])
}

/// A JPEG's structure (16×8, one scan) with an EXIF block carrying a GPS position (`lat` N,
/// `lon` E) and a comment.
pub fn jpeg_at(lat: f64, lon: f64) -> Vec<u8> {
    jpeg_with(&[(0xE1, &exif(tiff_at(lat, lon))), (0xFE, b"Shot by Nguyen Van A")])
}

/// A `multipart/form-data` body with `bytes` as the field `file` named `filename`: its content
/// type and bytes.
pub fn multipart(filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "caunoiSafetyBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
