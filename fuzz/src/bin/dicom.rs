//! DICOM series reader: the input is up to 8 files (joined by `FILE_SEPARATOR`) written into one
//! folder and read as a series, as a volume and as a DWI (b-values from the tags).

#[global_allocator]
static ALLOC: livermet_fuzz::CappedAlloc = livermet_fuzz::CappedAlloc;

fn main() {
    let root = livermet_fuzz::scratch();
    afl::fuzz!(|data: &[u8]| {
        livermet_fuzz::cap_for(data.len());
        let dir = root.join("series");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("series folder");
        for (i, f) in livermet_fuzz::split_files(data).iter().enumerate() {
            livermet_fuzz::put(&dir, &format!("IM_{i}.dcm"), f);
        }
        let _ = livermet_io::read_volume(&dir);
        let _ = livermet_io::read_dwi(&dir, None);
    });
}
