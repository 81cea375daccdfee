import { Tag } from "../../ui/status-badge";
import { useServiceNames } from "../catalog";

/** A request's services by their catalog names (the key stays in the tooltip). */
export function ServiceTags({ services }: { services: string[] }) {
  const nameOf = useServiceNames();
  return (
    <>
      {services.map((s) => (
        <Tag key={s} title={s}>
          {nameOf(s)}
        </Tag>
      ))}
    </>
  );
}
