import { type FormEvent, useState } from "react";
import { api } from "../../api/client";
import type { Service } from "../../api/types";
import { hasRole, useUser } from "../../app/session";
import { useQuery } from "../../app/use-query";
import { EmptyState, ErrorAlert, Loading } from "../../ui/alerts";
import { TextField } from "../../ui/fields";
import { Card, Page } from "../../ui/page";
import { loadServices } from "../catalog";

/** The service catalog: what holds customer content, and so what a request can name. */
export function ServicesPage() {
  const user = useUser();
  const services = useQuery(loadServices, []);
  return (
    <Page title="Services" intro="The provider's services that hold customer content. A request names the ones it needs; customers may protect some or all of them.">
      <Card>
        <ErrorAlert error={services.error} />
        {!services.data ? (
          !services.error && <Loading />
        ) : services.data.length === 0 ? (
          <EmptyState title="No services yet" />
        ) : (
          <div className="table-wrap">
            <table className="table table-stack">
              <caption className="visually-hidden">Services</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Name</th>
                  <th scope="col">Customer data it holds</th>
                </tr>
              </thead>
              <tbody>
                {services.data.map((s) => (
                  <tr key={s.key}>
                    <td data-label="Key">
                      <code>{s.key}</code>
                    </td>
                    <td data-label="Name">{s.name}</td>
                    <td data-label="Customer data it holds">{s.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {hasRole(user, "provider_admin") && (
        <Card title="Add a service">
          <AddServiceForm onAdded={services.reload} />
        </Card>
      )}
    </Page>
  );
}

function AddServiceForm({ onAdded }: { onAdded: () => void }) {
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.post<Service>("/v1/services", { key, name, description });
      setKey("");
      setName("");
      setDescription("");
      onAdded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="Add a service">
      <ErrorAlert error={error} />
      <div className="form-row">
        <TextField label="Key" required maxLength={32} pattern="[a-z][a-z0-9_\-]{0,31}" hint="Lowercase, e.g. mail" value={key} onChange={(e) => setKey(e.target.value)} />
        <TextField label="Name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <TextField label="Description" required maxLength={1000} hint="Which customer data it holds." value={description} onChange={(e) => setDescription(e.target.value)} />
      <div className="button-row">
        <button type="submit" className="button button-primary">
          Add service
        </button>
      </div>
    </form>
  );
}
