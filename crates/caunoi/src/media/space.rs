//! The free-space floor of the media storage: uploads are refused while the disk holding the
//! data directory has less free space than the floor (after the upload), so a flood of videos
//! cannot fill the disk that the database shares.

use std::path::Path;

/// How much of the disk must stay free: a size, or a share of the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeFloor {
    Bytes(u64),
    Percent(u8),
}

impl Default for FreeFloor {
    /// 2 GiB.
    fn default() -> Self {
        FreeFloor::Bytes(2 << 30)
    }
}

impl std::str::FromStr for FreeFloor {
    type Err = String;

    /// `2GiB`, `500MB`, `1073741824`, or `5%`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            return match p.trim().parse::<u8>() {
                Ok(n) if n <= 90 => Ok(FreeFloor::Percent(n)),
                _ => Err(format!("{s:?} is not a share of the disk between 0% and 90%")),
            };
        }
        parse_bytes(s).map(FreeFloor::Bytes)
    }
}

/// A size: a number of bytes with an optional unit `K`/`KB`/`KiB`, `M`/`MB`/`MiB`, `G`/`GB`/`GiB`
/// (all 1024-based, as the limits shown to citizens are: "tối đa 10 MB").
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{s:?} is not a size: use a number with KB, MB or GB, e.g. 200MB")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("{s:?} is not a size: use a number with KB, MB or GB, e.g. 200MB"))
}

/// Free bytes for unprivileged writers and the disk's size, for the disk holding `dir`.
#[cfg(unix)]
pub fn disk_space(dir: &Path) -> std::io::Result<(u64, u64)> {
    let s = rustix::fs::statvfs(dir)?;
    Ok((s.f_bavail.saturating_mul(s.f_frsize), s.f_blocks.saturating_mul(s.f_frsize)))
}

#[cfg(not(unix))]
pub fn disk_space(_dir: &Path) -> std::io::Result<(u64, u64)> {
    Err(std::io::Error::other("free space is not measured on this system"))
}

/// Whether `incoming` more bytes leave at least `floor` free on `(free, total)`.
pub fn leaves_floor(free: u64, total: u64, incoming: u64, floor: FreeFloor) -> bool {
    let floor = match floor {
        FreeFloor::Bytes(b) => b,
        FreeFloor::Percent(p) => total / 100 * u64::from(p),
    };
    free.saturating_sub(incoming) >= floor
}

/// Whether the disk of `data_dir` has room for `incoming` bytes above the floor. A disk whose
/// free space cannot be measured is assumed to have room (logged), so an unusual filesystem
/// does not stop every upload.
pub async fn has_room(data_dir: &Path, incoming: u64, floor: FreeFloor) -> bool {
    let dir = data_dir.to_path_buf();
    match tokio::task::spawn_blocking(move || disk_space(&dir)).await {
        Ok(Ok((free, total))) => {
            let room = leaves_floor(free, total, incoming, floor);
            if !room {
                metrics::counter!("caunoi_media_disk_floor_refusals_total").increment(1);
                tracing::warn!(free, floor = ?floor, "media upload refused: the disk is at its free-space floor");
            }
            room
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot measure the media disk's free space");
            true
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_and_sizes_parse() {
        assert_eq!("2GiB".parse(), Ok(FreeFloor::Bytes(2 << 30)));
        assert_eq!("5%".parse(), Ok(FreeFloor::Percent(5)));
        assert_eq!(" 500 MB ".parse(), Ok(FreeFloor::Bytes(500 << 20)));
        assert!("lots".parse::<FreeFloor>().is_err());
        assert!("95%".parse::<FreeFloor>().is_err());
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("10k"), Ok(10 << 10));
        assert!(parse_bytes("99999999999999999999GB").is_err());
    }

    #[test]
    fn the_floor_counts_the_incoming_upload() {
        let gib = 1u64 << 30;
        assert!(leaves_floor(3 * gib, 100 * gib, 50 << 20, FreeFloor::Bytes(2 * gib)));
        assert!(!leaves_floor(2 * gib, 100 * gib, 50 << 20, FreeFloor::Bytes(2 * gib)));
        assert!(!leaves_floor(4 * gib, 100 * gib, 0, FreeFloor::Percent(5)));
        assert!(leaves_floor(6 * gib, 100 * gib, 0, FreeFloor::Percent(5)));
    }

    #[test]
    fn the_data_disk_is_measured() {
        let dir = tempfile::tempdir().expect("dir");
        let (free, total) = disk_space(dir.path()).expect("statvfs");
        assert!(total > 0 && free <= total);
    }
}
