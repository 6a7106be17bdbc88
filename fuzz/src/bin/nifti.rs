//! NIfTI header and reader: any bytes as a `.nii` file through `read_volume` and `image_info`
//! (gzip is detected by its magic, whatever the name, so .nii.gz streams are covered too).

#[global_allocator]
static ALLOC: livermet_fuzz::CappedAlloc = livermet_fuzz::CappedAlloc;

fn main() {
    let dir = livermet_fuzz::scratch();
    afl::fuzz!(|data: &[u8]| {
        livermet_fuzz::cap_for(data.len());
        let p = livermet_fuzz::put(&dir, "in.nii", data);
        if let Ok(v) = livermet_io::read_volume(&p) {
            let _ = livermet_io::check_finite(&v, &p);
        }
        let _ = livermet_io::image_info(&p);
    });
}
