//! `FileStore` on S3-compatible object storage, against an in-process fake S3 endpoint.

#[path = "common/fake_s3.rs"]
mod fake_s3;

use axum::http::Method;
use domain::Error;
use domain::storage::files::{ByteStream, FileStore};
use fake_s3::FakeS3;
use futures::TryStreamExt;

async fn collect(stream: ByteStream) -> std::io::Result<Vec<u8>> {
    let chunks: Vec<_> = stream.try_collect().await?;
    Ok(chunks.concat())
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

#[tokio::test]
async fn s3_put_dedupes_get_streams_and_deletes() {
    let s3 = FakeS3::start().await;
    let files = s3.file_store("tandem-bucket/some/prefix/");
    let bytes = sample(300_000);

    let sha = files.put(&bytes).await.unwrap();
    assert_eq!(sha, FileStore::sha256(&bytes));
    let key = format!(
        "tandem-bucket/some/prefix/{}/{}/{sha}",
        &sha[..2],
        &sha[2..4]
    );
    assert_eq!(files.key_of(&sha).unwrap(), key["tandem-bucket/".len()..]);
    assert_eq!(
        s3.keys(),
        vec![key.clone()],
        "keyed <prefix>/ab/cd/<sha256>"
    );
    assert!(s3.object(&key).unwrap() == bytes, "the bytes, unchanged");
    assert_eq!((s3.count(Method::HEAD), s3.count(Method::PUT)), (1, 1));

    // the same bytes again: found by HEAD, not uploaded twice
    assert_eq!(files.put(&bytes).await.unwrap(), sha);
    assert_eq!(
        (s3.count(Method::HEAD), s3.count(Method::PUT)),
        (2, 1),
        "dedup: no second PUT"
    );

    // other bytes: another object
    let small = files.put(b"hello").await.unwrap();
    assert_eq!(s3.keys().len(), 2);
    assert_eq!(s3.count(Method::PUT), 2);

    assert!(files.get(&sha).await.unwrap() == bytes, "get");
    assert_eq!(files.get(&small).await.unwrap(), b"hello");
    assert!(
        collect(files.stream(&sha).await.unwrap()).await.unwrap() == bytes,
        "stream"
    );
    assert_eq!(
        collect(files.stream(&small).await.unwrap()).await.unwrap(),
        b"hello"
    );

    files.delete(&sha).await.unwrap();
    assert_eq!(
        s3.count(Method::DELETE),
        1,
        "one plain DELETE, no bulk delete"
    );
    assert!(s3.object(&key).is_none(), "deleted");
    assert_eq!(s3.keys().len(), 1, "the other object stays");
    files.delete(&sha).await.unwrap(); // already gone: fine
    assert_eq!(s3.count(Method::DELETE), 2);

    // a missing object is an internal error (logged by the API), for get and for stream
    assert!(matches!(files.get(&sha).await, Err(Error::Internal(_))));
    match files.stream(&sha).await {
        Err(Error::Internal(message)) => assert!(message.contains("object store"), "{message}"),
        Err(other) => panic!("not internal: {other}"),
        Ok(_) => panic!("a stream of a missing object"),
    }

    // malformed content addresses never reach the store
    let before = s3.total_requests();
    for bad in [
        "../../etc/passwd",
        "abc",
        &"g".repeat(64),
        &format!("{sha}/x"),
    ] {
        assert!(
            matches!(files.get(bad).await, Err(Error::Internal(_))),
            "{bad}"
        );
        assert!(files.stream(bad).await.is_err(), "{bad}");
        assert!(files.delete(bad).await.is_err(), "{bad}");
        assert!(files.key_of(bad).is_err(), "{bad}");
    }
    assert_eq!(
        s3.total_requests(),
        before,
        "nothing sent for bad addresses"
    );
    assert!(
        files.path_of(&small).is_err(),
        "object storage has no local paths"
    );
    assert!(
        !std::path::Path::new("/nonexistent/tandem-files").exists(),
        "nothing written locally"
    );
    assert_eq!(s3.unsigned(), 0, "every request signed with the test key");
}

#[tokio::test]
async fn s3_without_prefix_and_with_wrong_credentials() {
    let s3 = FakeS3::start().await;
    let files = s3.file_store("bare");
    let sha = files.put(b"no prefix").await.unwrap();
    assert_eq!(
        s3.keys(),
        vec![format!("bare/{}/{}/{sha}", &sha[..2], &sha[2..4])]
    );
    assert_eq!(files.describe(), "s3://bare");

    // a store with another key id is refused by the endpoint: an internal error, not a panic
    use domain::storage::files::object_store::aws::AmazonS3Builder;
    let wrong = FileStore::from_url_with(
        Some("s3://bare"),
        "/nonexistent/tandem-files",
        AmazonS3Builder::new()
            .with_access_key_id("someone-else")
            .with_secret_access_key("x")
            .with_region("us-east-1")
            .with_endpoint(&s3.endpoint)
            .with_allow_http(true),
    )
    .unwrap();
    assert!(matches!(wrong.get(&sha).await, Err(Error::Internal(_))));
    assert!(matches!(wrong.put(b"other").await, Err(Error::Internal(_))));
    assert!(s3.unsigned() >= 2);
    assert_eq!(s3.keys().len(), 1, "nothing stored by the refused store");
}
