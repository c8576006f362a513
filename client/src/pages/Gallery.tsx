/**
 * Gallery: galleries and their subjects (a Relay connection, page by page), create a gallery or a subject,
 * enroll photos of a subject by upload or with the camera (each photo enrolled or rejected with its reason and the failed
 * quality checks), delete a subject (what was erased is said). Needs an API key with the right scopes.
 */
import { useClient } from '@urql/solid';
import { createEffect, createSignal, For, on, Show, type JSX } from 'solid-js';
import { ApiKeyField } from '../components/ApiKeyField';
import { CameraCapture } from '../components/CameraCapture';
import { ErrorBox } from '../components/ErrorBox';
import { GalleryPicker } from '../components/GalleryPicker';
import { graphql } from '../gql';
import type { EnrollFacesMutation, GallerySubjectsQuery } from '../gql/graphql';
import { cameraSupported } from '../lib/camera';
import { chooseGallery, chosenGallery } from '../lib/gallery-session';
import { describeError, type HumanError } from '../lib/errors';
import { fixed } from '../lib/format';

export const CreateGalleryDocument = graphql(`
  mutation CreateGallery($input: GalleryInput!) {
    createGallery(input: $input) {
      id
      name
    }
  }
`);

export const GallerySubjectsDocument = graphql(`
  query GallerySubjects($id: ID!, $first: Int, $after: String) {
    gallery(id: $id) {
      id
      name
      subjects(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            displayName
            externalId
            templateCount
          }
        }
      }
    }
  }
`);

export const CreateSubjectDocument = graphql(`
  mutation CreateSubject($galleryId: ID!, $input: SubjectInput!) {
    createSubject(galleryId: $galleryId, input: $input) {
      id
    }
  }
`);

export const EnrollFacesDocument = graphql(`
  mutation EnrollFaces($subjectId: ID!, $images: [File!]!) {
    enrollFaces(subjectId: $subjectId, images: $images) {
      subject {
        id
        templateCount
      }
      enrolled {
        index
        filename
      }
      rejected {
        index
        filename
        reason
        message
        similarity
        qualityIssues {
          check
          value
          limit
        }
        conflictingSubject {
          id
          displayName
          externalId
        }
      }
    }
  }
`);

export const DeleteSubjectDocument = graphql(`
  mutation DeleteSubject($id: ID!) {
    deleteSubject(id: $id) {
      subjectId
      templatesErased
      imagesErased
    }
  }
`);

const PAGE = 20;

type SubjectNode = NonNullable<GallerySubjectsQuery['gallery']>['subjects']['edges'][number]['node'];
type Enrollment = EnrollFacesMutation['enrollFaces'];

const REASONS: Record<string, string> = {
  NO_FACE: 'No face found',
  MULTIPLE_FACES: 'More than one face, none clearly the subject',
  LOW_QUALITY: 'Face not good enough',
  DUPLICATE_IDENTITY: 'Already enrolled as someone else',
  BAD_IMAGE: 'Not a readable image',
  TEMPLATE_LIMIT: 'The subject has as many photos as allowed',
};

const CHECKS: Record<string, string> = { FACE_SIZE: 'face size (px)', DETECTOR_SCORE: 'detector score', SHARPNESS: 'sharpness', YAW: 'head turned (yaw, °)', PITCH: 'head tilted (pitch, °)' };

function nameOf(s: { displayName?: string | null; externalId?: string | null; id: string }): string {
  return s.displayName ?? s.externalId ?? s.id;
}

function EnrollmentReport(props: { result: Enrollment; subject: string }): JSX.Element {
  return (
    <section class="result" aria-label={`Enrollment of ${props.subject}`} data-testid="enroll-result">
      <p role="status">
        {props.subject}: {props.result.enrolled.length} of {props.result.enrolled.length + props.result.rejected.length} photos enrolled; the subject now has {props.result.subject.templateCount}{' '}
        {props.result.subject.templateCount === 1 ? 'template' : 'templates'}.
      </p>
      <Show when={props.result.rejected.length > 0}>
        <ul class="rejected" data-testid="rejected-list">
          <For each={props.result.rejected}>
            {(r) => (
              <li data-testid="rejected-item" data-reason={r.reason}>
                <strong>{r.filename}</strong>: {REASONS[r.reason] ?? r.reason}
                <Show when={r.conflictingSubject}>{(c) => <>: {nameOf(c())}</>}</Show> <span class="muted">({r.reason})</span>. {r.message}.
                <Show when={r.qualityIssues.length > 0}>
                  <ul>
                    <For each={r.qualityIssues}>
                      {(q) => (
                        <li>
                          {CHECKS[q.check] ?? q.check}: {fixed(q.value, 1)}, limit {fixed(q.limit, 1)}
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}

function SubjectRow(props: { subject: SubjectNode; onEnrolled: (r: Enrollment, name: string) => void; onDeleted: (message: string) => void; onError: (e: HumanError) => void }): JSX.Element {
  const client = useClient();
  const [busy, setBusy] = createSignal(false);
  const [confirming, setConfirming] = createSignal(false);
  const [capturing, setCapturing] = createSignal(false);
  const name = (): string => nameOf(props.subject);

  const enroll = async (files: File[]): Promise<void> => {
    if (files.length === 0) return;
    setBusy(true);
    const result = await client.mutation(EnrollFacesDocument, { subjectId: props.subject.id, images: files }).toPromise();
    setBusy(false);
    if (result.error) props.onError(describeError(result.error));
    else if (result.data) props.onEnrolled(result.data.enrollFaces, name());
  };

  const remove = async (): Promise<void> => {
    setBusy(true);
    const result = await client.mutation(DeleteSubjectDocument, { id: props.subject.id }).toPromise();
    setBusy(false);
    setConfirming(false);
    if (result.error) props.onError(describeError(result.error));
    else if (result.data) {
      const d = result.data.deleteSubject;
      props.onDeleted(`${name()} was deleted: ${d.templatesErased} ${d.templatesErased === 1 ? 'template' : 'templates'} and ${d.imagesErased} stored ${d.imagesErased === 1 ? 'image' : 'images'} erased.`);
    }
  };

  return (
    <tr data-testid="subject-row" data-subject-id={props.subject.id}>
      <th scope="row">{name()}</th>
      <td>{props.subject.externalId ?? '—'}</td>
      <td data-testid="template-count">{props.subject.templateCount}</td>
      <td>
        <div class="actions">
          <label class="button">
            Enroll photos
            <input class="visually-hidden" type="file" accept="image/*" multiple disabled={busy()} onChange={(e) => {
                const files = [...(e.currentTarget.files ?? [])];
                e.currentTarget.value = ''; // the same photos can be chosen again
                void enroll(files);
              }} data-testid="enroll-input" aria-label={`Enroll photos of ${name()}`} />
          </label>
          <Show when={cameraSupported() && !capturing()}>
            <button type="button" class="secondary" disabled={busy()} onClick={() => setCapturing(true)} data-testid="enroll-camera">
              Take a photo
            </button>
          </Show>
          <Show
            when={confirming()}
            fallback={
              <button type="button" class="secondary" disabled={busy()} onClick={() => setConfirming(true)} data-testid="delete-subject">
                Delete
              </button>
            }
          >
            <button type="button" class="danger" disabled={busy()} onClick={() => void remove()} data-testid="confirm-delete">
              Erase {name()} and all templates
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </Show>
        </div>
        <Show when={capturing()}>
          <CameraCapture
            purpose={`enrollment of ${name()}`}
            onCapture={(file) => {
              setCapturing(false);
              void enroll([file]);
            }}
            onCancel={() => setCapturing(false)}
          />
        </Show>
      </td>
    </tr>
  );
}

export default function GalleryPage(): JSX.Element {
  const client = useClient();
  const [refresh, setRefresh] = createSignal(0);
  const [error, setError] = createSignal<HumanError | null>(null);
  const [notice, setNotice] = createSignal('');
  const [subjects, setSubjects] = createSignal<SubjectNode[]>([]);
  const [total, setTotal] = createSignal(0);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [more, setMore] = createSignal(false);
  const [enrollment, setEnrollment] = createSignal<{ result: Enrollment; subject: string } | null>(null);
  const [galleryName, setGalleryName] = createSignal('');
  const [subjectName, setSubjectName] = createSignal('');
  const [subjectExternal, setSubjectExternal] = createSignal('');

  const loadPage = async (after: string | null): Promise<void> => {
    const id = chosenGallery();
    if (!id) {
      setSubjects([]);
      setTotal(0);
      setMore(false);
      return;
    }
    const result = await client.query(GallerySubjectsDocument, { id, first: PAGE, after }, { requestPolicy: 'network-only' }).toPromise();
    if (result.error) {
      setError(describeError(result.error));
      return;
    }
    const connection = result.data?.gallery?.subjects;
    if (!connection) return;
    const nodes = connection.edges.map((e) => e.node);
    setSubjects(after ? [...subjects(), ...nodes] : nodes);
    setTotal(connection.totalCount);
    setCursor(connection.pageInfo.endCursor ?? null);
    setMore(connection.pageInfo.hasNextPage);
  };
  const reload = (): Promise<void> => loadPage(null);
  createEffect(on(chosenGallery, () => void reload()));

  const createGallery = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    const result = await client.mutation(CreateGalleryDocument, { input: { name: galleryName() } }).toPromise();
    if (result.error) setError(describeError(result.error));
    else if (result.data) {
      chooseGallery(result.data.createGallery.id);
      setGalleryName('');
      setNotice(`Gallery ${result.data.createGallery.name} created.`);
      setRefresh(refresh() + 1);
    }
  };

  const createSubject = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(null);
    const input = { displayName: subjectName().trim() || null, externalId: subjectExternal().trim() || null };
    const result = await client.mutation(CreateSubjectDocument, { galleryId: chosenGallery(), input }).toPromise();
    if (result.error) setError(describeError(result.error));
    else {
      setNotice(`${input.displayName ?? input.externalId ?? 'The subject'} added. Enroll photos next.`);
      setSubjectName('');
      setSubjectExternal('');
      setRefresh(refresh() + 1);
      await reload();
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Gallery</h1>
      <p class="lead">Enrolled people: add someone, enroll a few photos of them, and they can be identified. Only face templates are kept, not the photos (unless the gallery stores images).</p>
      <ApiKeyField onChange={() => setRefresh(refresh() + 1)} />
      <div class="gallery-bar">
        <GalleryPicker refresh={refresh()} />
        <form class="inline-form" onSubmit={(e) => void createGallery(e)}>
          <label for="new-gallery">New gallery</label>
          <input id="new-gallery" value={galleryName()} onInput={(e) => setGalleryName(e.currentTarget.value)} required data-testid="new-gallery-name" />
          <button type="submit" data-testid="create-gallery">
            Create
          </button>
        </form>
      </div>
      <p class="status" role="status" aria-live="polite" data-testid="gallery-notice">
        {notice()}
      </p>
      <ErrorBox error={error()} onDismiss={() => setError(null)} />
      <Show when={chosenGallery()}>
        <form class="inline-form" onSubmit={(e) => void createSubject(e)} data-testid="new-subject-form">
          <label for="subject-name">Name</label>
          <input id="subject-name" value={subjectName()} onInput={(e) => setSubjectName(e.currentTarget.value)} data-testid="subject-name" />
          <label for="subject-external">External id</label>
          <input id="subject-external" value={subjectExternal()} onInput={(e) => setSubjectExternal(e.currentTarget.value)} data-testid="subject-external" />
          <button type="submit" data-testid="create-subject">
            Add subject
          </button>
        </form>
        <Show when={enrollment()}>{(e) => <EnrollmentReport result={e().result} subject={e().subject} />}</Show>
        <table class="subjects" data-testid="subjects">
          <caption>
            {total()} {total() === 1 ? 'subject' : 'subjects'}
            {subjects().length < total() ? `, ${subjects().length} shown` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">External id</th>
              <th scope="col">Templates</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            <For each={subjects()}>
              {(s) => (
                <SubjectRow
                  subject={s}
                  onError={setError}
                  onEnrolled={(result, subject) => {
                    setError(null);
                    setEnrollment({ result, subject });
                    void reload();
                    setRefresh(refresh() + 1);
                  }}
                  onDeleted={(message) => {
                    setEnrollment(null);
                    setNotice(message);
                    void reload();
                    setRefresh(refresh() + 1);
                  }}
                />
              )}
            </For>
          </tbody>
        </table>
        <Show when={more()}>
          <button type="button" class="secondary" onClick={() => void loadPage(cursor())} data-testid="more-subjects">
            Show more subjects
          </button>
        </Show>
      </Show>
    </>
  );
}
